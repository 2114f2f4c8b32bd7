/* Indonesian names for the date pickers. dash-mantine-components 2.8 registers `window.dayjs_locale_<name>` with
   dayjs when a DatesProvider asks for locale <name> (the app's language switch sets "id"). Names are CLDR's, as
   Babel formats them on the server (tests/services/test_i18n.py keeps the two equal). Weeks start on Monday. */
window.dayjs_locale_id = {
  name: "id",
  weekdays: ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
  weekdaysShort: ["Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"],
  weekdaysMin: ["Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"],
  months: ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"],
  monthsShort: ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
  weekStart: 1,
  formats: {LT: "HH.mm", LTS: "HH.mm.ss", L: "DD/MM/YYYY", LL: "D MMMM YYYY", LLL: "D MMMM YYYY HH.mm",
            LLLL: "dddd, D MMMM YYYY HH.mm"},
  ordinal: function (n) { return n + "."; }
};
