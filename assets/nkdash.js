/* Clientside callbacks of the app shell and the filter bars (pages/components.py wires them by name). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  nkdash: {
    /* "?from=…&store=1,2" for a filter state (the canonical query dict); "" for the defaults. */
    search: function (query) {
      const parts = Object.entries(query || {}).map(
        ([key, value]) => key + "=" + encodeURIComponent(value).replace(/%2C/g, ","));
      return parts.length ? "?" + parts.join("&") : "";
    },

    /* A filter bar's state into the URL (replaced, not pushed: no page re-render) and on to the shell. */
    filtersToUrl: function (query) {
      const search = window.dash_clientside.nkdash.search(query);
      if (window.location.search !== search) {
        window.history.replaceState(window.history.state, "", window.location.pathname + search);
      }
      return query || {};
    },

    /* Every navigation link carries the current filters. */
    navLinks: function (query) {
      const search = window.dash_clientside.nkdash.search(query);
      return window.dash_clientside.callback_context.outputs_list.map(output => output.id.path + search);
    },

    /* The burger opens and closes the navigation on small screens; following a link closes it. */
    burger: function (opened, _clicks) {
      const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
      const open = trigger.startsWith("nav-burger") ? opened : false;
      return [{width: 200, breakpoint: "sm", collapsed: {mobile: !open}}, open];
    },

    /* The remembered language: <html lang>, the cookie the server renders with, and a reload when this page was
       rendered in another language. */
    applyLanguage: function (stored, rendered) {
      const lang = stored || rendered;
      document.documentElement.lang = lang;
      document.cookie = "nkdash_lang=" + lang + ";path=/;max-age=31536000;SameSite=Lax";
      if (lang !== rendered) {
        window.location.reload();
      }
      return window.dash_clientside.no_update;
    },

    /* The switch stores the choice (which applyLanguage then applies). */
    chooseLanguage: function (value) {
      return value;
    }
  }
});
