"""Deterministic synthetic data for an Indonesian retail chain.

Everything comes from ``numpy.random.default_rng(seed)`` so the same seed and
arguments give byte-identical data.  Volume-scaling data (POS orders, lines,
payments, store deliveries and transfers) is generated with vectorised numpy;
the small catalogues (products, partners, invoices, bills) with plain Python.

See ``demo_odoo/README.md`` for how amounts are computed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from .columns import NULL_TS, M2MCol, StrCol, parse_date
from .orm import Database, Table
from .schema import ModelSpec, build_schema

TZ_OFFSET = 7 * 3600  # Asia/Jakarta, UTC+7 without DST
DAY = 86400
DEFAULT_ORDERS_PER_DAY = 150
LINES_P = np.array([0.28, 0.24, 0.17, 0.12, 0.08, 0.05, 0.035, 0.025])
MEAN_LINES = float((np.arange(1, 9) * LINES_P).sum())
HOUR_PROFILE = np.array([0.4, 0.1, 0.05, 0.05, 0.05, 0.2, 0.6, 1.2, 1.6, 1.6, 1.4, 1.5, 1.8, 1.5, 1.2,
                         1.3, 1.6, 2.0, 2.3, 2.4, 2.1, 1.6, 1.0, 0.7])


@dataclass(frozen=True)
class GenParams:
    """What to generate: Odoo version, period and size."""

    version: int = 17
    days: int = 90
    seed: int = 42
    orders_per_day: int | None = None
    pos_lines: int | None = None
    end_date: date | None = None
    now: int | None = None  # epoch seconds of the demo's present (default: the clock); nothing is done after it


def default_end_date() -> date:
    """Yesterday in Asia/Jakarta."""
    return (datetime.now(timezone.utc) + timedelta(seconds=TZ_OFFSET)).date() - timedelta(days=1)


def round_money(values: Any) -> np.ndarray:
    """Odoo ``float_round(value, precision_rounding=0.01)``: half away from zero."""
    x = np.asarray(values, dtype=np.float64) * 100.0
    x = x + np.sign(x) * np.abs(x) * 2.0 ** -52
    return np.sign(x) * np.floor(np.abs(x) + 0.5) / 100.0


def round_qty(values: Any, rounding: float = 0.01) -> np.ndarray:
    """Odoo ``float_round(value, precision_rounding=rounding, rounding_method='HALF-UP')`` for quantities (every
    demo UoM rounds to 0.01); the result is the float closest to the decimal, as read back from the database."""
    steps = 1.0 / rounding
    exact = steps >= 1 and abs(steps - round(steps)) < 1e-9 * steps  # 0.01 → divide by 100 (no 0.57000…01)
    x = np.asarray(values, dtype=np.float64) / rounding
    x = x + np.sign(x) * np.abs(x) * 2.0 ** -52
    x = np.sign(x) * np.floor(np.abs(x) + 0.5)
    return x / round(steps) if exact else x * rounding


def tax_amounts(base: np.ndarray, rate: np.ndarray, included: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(total excluded, total included) per line for one percent tax (rate 0 = no tax)."""
    base = round_money(base)
    tax_incl = round_money(base - base / (1.0 + rate / 100.0))
    tax_excl = round_money(base * rate / 100.0)
    tax = np.where(included, tax_incl, tax_excl)
    excl = np.where(included, base - tax, base)
    incl = np.where(included, base, base + tax)
    return round_money(excl), round_money(incl)


# ---------------------------------------------------------------- builder
class Builder:
    """Collects columns per model and turns them into :class:`Table` objects."""

    def __init__(self, schema: dict[str, ModelSpec], horizon_ts: int) -> None:
        self.schema = schema
        self.horizon_ts = horizon_ts  # the end of the data's last business day: nothing is written after it
        self.tables: dict[str, Table] = {}

    def add(self, model_name: str, n: int, /, **values: Any) -> None:
        spec = self.schema[model_name]
        cols: dict[str, Any] = {}
        for name, value in values.items():
            if name not in spec.fields:
                continue  # field absent in this Odoo version
            cols[name] = _to_column(spec.fields[name].type, value, n)
        for name in ("create_date", "write_date"):
            if name in cols:
                cols[name] = np.minimum(cols[name], self.horizon_ts)
        for name in ("create_uid", "write_uid"):
            cols.setdefault(name, np.full(n, 2, dtype=np.int64))
        self.tables[model_name] = Table(spec, n, cols)


def _to_column(ftype: str, value: Any, n: int) -> Any:
    if isinstance(value, (StrCol, M2MCol)):
        return value
    if ftype in ("char", "text", "selection"):
        if isinstance(value, (list, np.ndarray)):
            return StrCol.from_list(list(value))
        return StrCol.constant(value if value is not False else None, n)
    if ftype == "many2many":
        return M2MCol.from_lists(value)
    if ftype == "date" and isinstance(value, list):
        return np.array([parse_date(v) if v else NULL_TS for v in value], dtype=np.int64)
    dtype = {"float": np.float64, "monetary": np.float64, "boolean": bool}.get(ftype, np.int64)
    if isinstance(value, (list, np.ndarray)):
        arr = np.asarray(value)
        if dtype is np.int64 and arr.dtype == object:
            arr = np.array([0 if v is False or v is None else v for v in value])
        return arr.astype(dtype)
    return np.full(n, value, dtype=dtype)


class Rows:
    """Row-wise accumulator for small models (one dict per record)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, **row: Any) -> int:
        self.rows.append(row)
        return len(self.rows)

    def columns(self) -> dict[str, list[Any]]:
        keys: dict[str, None] = {}
        for row in self.rows:
            keys.update(dict.fromkeys(row))
        return {k: [row.get(k, False) for row in self.rows] for k in keys}

    def __len__(self) -> int:
        return len(self.rows)


# ---------------------------------------------------------------- vocabulary
FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Putri", "Eko", "Wahyu", "Sri", "Joko", "Ayu",
         "Dian", "Fajar", "Indah", "Rizky", "Yusuf", "Nur", "Hendra", "Lestari", "Bayu", "Ratna", "Dimas",
         "Intan", "Arif", "Maya", "Teguh", "Wulan", "Gilang", "Sari"]
LAST = ["Santoso", "Wijaya", "Saputra", "Lestari", "Pratama", "Hidayat", "Kusuma", "Nugroho", "Siregar",
        "Harahap", "Simanjuntak", "Wibowo", "Setiawan", "Gunawan", "Susanto", "Halim", "Tanjung", "Sinaga"]
CITIES = ["Jakarta Selatan", "Jakarta Barat", "Bandung", "Surabaya", "Depok", "Bekasi", "Tangerang",
          "Bogor", "Semarang", "Yogyakarta", "Medan", "Denpasar", "Makassar", "Malang"]
BRANDS = ["Sari Rasa", "Nusa Fresh", "Pelangi", "Merapi", "Bumi Hijau", "Dapur Ibu", "Kencana", "Segar Jaya",
          "Citra Alam", "Rasa Sayang", "Mentari", "Sinar Pagi", "Tunas", "Samudra", "Gemilang", "Arunika",
          "Cahaya", "Bintang Timur", "Lembah Hijau", "Nusantara Prima", "Kopi Kita", "Teh Tarik", "Mina",
          "Anugerah", "Jaya Abadi", "Putra Mandiri", "Sehat Selalu", "Bersih Kilat", "Wangi", "Si Kecil",
          "Rumahku", "Prima Rasa", "Garuda Mas", "Kirana", "Lumbung", "Tani Makmur", "Pusaka", "Sumber Rejeki",
          "Cemerlang", "Delima"]
# (name, parent index or None, item words, unit kind, price range, tax profile)
CATEGORIES: list[tuple[str, int | None, list[str], str, tuple[int, int], str]] = [
    ("All", None, [], "unit", (0, 0), "std"),
    ("Makanan", 0, [], "unit", (0, 0), "std"),
    ("Minuman", 0, [], "unit", (0, 0), "std"),
    ("Perawatan Diri", 0, [], "unit", (0, 0), "std"),
    ("Rumah Tangga", 0, [], "unit", (0, 0), "std"),
    ("Snacks", 1, ["Keripik Singkong", "Kacang Atom", "Biskuit Kelapa", "Wafer Coklat", "Kerupuk Udang",
                   "Rengginang", "Keripik Pisang"], "unit", (3500, 35000), "std"),
    ("Mie Instan", 1, ["Mie Goreng", "Mie Kuah Soto", "Mie Ayam Bawang", "Bihun Goreng"], "unit",
     (3500, 15000), "std"),
    ("Sembako", 1, ["Beras Premium 5kg", "Gula Pasir 1kg", "Minyak Goreng 2L", "Telur Ayam 10 btr",
                    "Tepung Terigu 1kg", "Garam Dapur"], "unit", (5000, 95000), "exempt"),
    ("Buah & Sayur", 1, ["Apel Fuji", "Jeruk Medan", "Pisang Cavendish", "Tomat", "Bawang Merah",
                         "Cabai Rawit", "Kentang"], "kg", (8000, 80000), "exempt"),
    ("Frozen", 1, ["Nugget Ayam", "Sosis Sapi", "Bakso Ikan", "Dimsum Udang"], "unit", (15000, 85000), "std"),
    ("Kopi & Teh", 2, ["Kopi Bubuk", "Kopi Sachet 10s", "Teh Celup 25s", "Teh Hijau"], "unit",
     (5000, 90000), "std"),
    ("Minuman Ringan", 2, ["Soda Jeruk", "Teh Botol", "Minuman Isotonik", "Jus Jambu"], "unit",
     (4000, 20000), "std"),
    ("Susu", 2, ["Susu UHT Coklat", "Susu UHT Full Cream", "Yogurt Stroberi", "Susu Kental Manis"],
     "unit", (6000, 65000), "std"),
    ("Air Mineral", 2, ["Air Mineral 600ml", "Air Mineral 1.5L", "Air Galon 19L"], "unit", (3500, 25000),
     "std"),
    ("Sabun & Sampo", 3, ["Sabun Mandi", "Sampo Lidah Buaya", "Sabun Cair", "Kondisioner"], "unit",
     (5000, 60000), "std"),
    ("Perawatan Gigi", 3, ["Pasta Gigi", "Sikat Gigi", "Obat Kumur"], "unit", (6000, 45000), "std"),
    ("Deterjen", 4, ["Deterjen Bubuk 1kg", "Deterjen Cair", "Pelembut Pakaian"], "unit", (12000, 75000),
     "std"),
    ("Pembersih", 4, ["Pembersih Lantai", "Sabun Cuci Piring", "Pembersih Kaca", "Tisu Basah"], "unit",
     (7000, 55000), "std"),
    ("Bayi", 0, ["Popok Bayi M", "Bubur Bayi", "Minyak Telon", "Bedak Bayi"], "unit", (15000, 250000), "std"),
    ("Hampers", 0, ["Hampers Lebaran", "Parsel Buah", "Paket Sembako"], "unit", (150000, 250000), "std"),
]
VARIANT_WORDS = ["Original", "Pedas", "Ekstra", "Mini", "Jumbo", "Rendah Gula"]
SIZES = ["", " 50g", " 100g", " 250g", " 500ml", " 1L", " Isi 3", " Isi 6"]


def move_sequence(move_type: str, d: date) -> tuple[str, int]:
    """(prefix, digits) of a posted journal entry's number: ``INV/2025/00042``, ``BILL/2025/03/0007``."""
    prefix = {"out_invoice": "INV", "out_refund": "RINV", "in_invoice": "BILL", "in_refund": "RBILL"}
    if move_type.startswith("in_"):
        return f"{prefix.get(move_type, 'BILL')}/{d.year}/{d.month:02d}", 4
    return f"{prefix.get(move_type, 'MISC')}/{d.year}", 5


def _local_midnight(d: date) -> int:
    """Epoch seconds (UTC) of 00:00 Asia/Jakarta on ``d``."""
    return int((datetime(d.year, d.month, d.day, tzinfo=timezone.utc)).timestamp()) - TZ_OFFSET


# ---------------------------------------------------------------- generation
class Generator:
    """Builds all tables; one method per area, called in dependency order."""

    def __init__(self, params: GenParams) -> None:
        self.p = params
        self.version = params.version
        self.rng = np.random.default_rng(params.seed)
        self.end = params.end_date or default_end_date()
        self.start = self.end - timedelta(days=params.days - 1)
        self.day_dates = [self.start + timedelta(days=i) for i in range(params.days)]
        self.day0 = np.array([_local_midnight(d) for d in self.day_dates], dtype=np.int64)
        self.b = Builder(build_schema(params.version), horizon_ts=int(self.day0[-1]) + DAY - 1)
        self.setup_ts = int(self.day0[0]) - 45 * DAY
        self.now = params.now if params.now is not None else int(time.time())

    # -------------------------------------------------------- helpers
    def ts(self, base: int, spread: int) -> int:
        return int(base + int(self.rng.integers(0, max(spread, 1))))

    def run(self) -> Database:
        self.base_data()
        self.products()
        self.stock_setup()
        self.pos_setup()
        self.pos_orders()
        self.accounting()
        self.stock_moves()
        self.ir_model()
        return Database(self.version, self.b.schema, self.b.tables)

    # -------------------------------------------------------- base data
    def base_data(self) -> None:
        b, rng, ts0 = self.b, self.rng, self.setup_ts
        b.add("res.currency", 3, name=["USD", "EUR", "IDR"], symbol=["$", "€", "Rp"], rounding=0.01,
              decimal_places=2, active=[True, False, True],
              currency_unit_label=["Dollars", "Euros", "Rupiah"], create_date=ts0, write_date=ts0)
        self.currency_id, self.usd_id = 3, 1
        partners = Rows()
        partners.add(name="PT Toko Nusantara Jaya", is_company=True, city="Jakarta Selatan", type="contact")
        partners.add(name="OdooBot", active=False, type="contact")
        partners.add(name="Administrator", type="contact", email="admin@tokonusantara.example")
        self.user_names = ["Rudi Hartono", "Melati Putri", "Yoga Pratama", "Citra Dewi", "Hadi Susilo"]
        user_partner = [partners.add(name=nm, type="contact", company_id=1) for nm in self.user_names]
        members = []
        for i in range(320):
            name = f"{FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]}"
            members.append(partners.add(name=name, ref=f"MBR{i + 1:05d}", customer_rank=int(rng.integers(1, 40)),
                                        city=CITIES[rng.integers(len(CITIES))], active=bool(rng.random() > 0.04),
                                        phone=f"+62 8{rng.integers(10**9, 10**10)}", type="contact"))
        b2b = []
        for i in range(30):
            kind = ["CV", "PT", "Koperasi", "Warung", "Toko"][i % 5]
            b2b.append(partners.add(name=f"{kind} {BRANDS[(i * 7) % len(BRANDS)]} {CITIES[i % len(CITIES)].split()[0]}",
                                    is_company=True, ref=f"B2B{i + 1:03d}", customer_rank=int(rng.integers(5, 60)),
                                    city=CITIES[i % len(CITIES)], type="contact"))
        vendors = []
        for i in range(20):
            vendors.append(partners.add(name=f"PT {BRANDS[(i * 3 + 1) % len(BRANDS)]} Distribusi",
                                        is_company=True, ref=f"VND{i + 1:03d}", supplier_rank=int(rng.integers(3, 50)),
                                        city=CITIES[(i * 5) % len(CITIES)], type="contact"))
        self.members = np.array([m for m in members if partners.rows[m - 1].get("active", True)])
        self.b2b, self.vendors = np.array(b2b), np.array(vendors)
        cols = partners.columns()
        n = len(partners)
        cols["active"] = [row.get("active", True) for row in partners.rows]
        cols["complete_name"] = cols["name"]
        for key in ("customer_rank", "supplier_rank", "company_id"):
            cols[key] = [r or 0 for r in cols[key]]
        cols["is_company"] = [bool(v) for v in cols["is_company"]]
        created = [ts0 if i < 8 else self.ts(ts0 - 400 * DAY, 430 * DAY) for i in range(n)]
        b.add("res.partner", n, **cols, create_date=np.array(created),
              write_date=np.array([c + int(rng.integers(0, 30 * DAY)) for c in created]))
        # l10n_id's chart template sets anglo-saxon accounting; POS stock is updated at session closing (the
        # res.company default of point_of_sale 17.0)
        b.add("res.company", 1, name="PT Toko Nusantara Jaya", currency_id=self.currency_id, partner_id=1,
              sequence=10, anglo_saxon_accounting=True, point_of_sale_update_stock_quantities="closing",
              create_date=ts0, write_date=ts0)
        self.currency_rates()
        # users: 1 = OdooBot, 2 = admin, then POS supervisors
        logins = ["__system__", "admin"] + [nm.split()[0].lower() for nm in self.user_names]
        names = ["OdooBot", "Administrator"] + self.user_names
        nu = len(logins)
        b.add("res.users", nu, name=names, login=logins, active=[False] + [True] * (nu - 1), company_id=1,
              partner_id=[2, 3] + user_partner, company_ids=[[1]] * nu, tz="Asia/Jakarta", share=False,
              create_date=ts0, write_date=[ts0] * 2 + [self.ts(ts0, 40 * DAY) for _ in range(nu - 2)])
        self.pos_users = np.arange(3, nu + 1)
        # employees: cashiers (pos_hr); some linked to users, two have left (archived)
        emp = Rows()
        emp.add(name="Administrator", user_id=2, job_title="Owner")
        for i, nm in enumerate(self.user_names):
            emp.add(name=nm, user_id=3 + i, job_title="Supervisor Toko")
        used = set()
        while len(emp) < 22:
            nm = f"{FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]}"
            if nm not in used:
                used.add(nm)
                emp.add(name=nm, job_title="Kasir", active=len(emp) not in (9, 17))
        ecols = emp.columns()
        ne = len(emp)
        b.add("hr.employee", ne, name=ecols["name"], user_id=ecols["user_id"], job_title=ecols["job_title"],
              active=[a is not False for a in ecols["active"]], company_id=1,
              barcode=[f"0410{i:04d}" for i in range(1, ne + 1)],
              create_date=ts0, write_date=[self.ts(ts0, 40 * DAY) for _ in range(ne)])
        self.employee_active = np.array([a is not False for a in ecols["active"]])
        b.add("uom.category", 2, name=["Unit", "Weight"], create_date=ts0, write_date=ts0)
        b.add("uom.uom", 4, name=["Units", "Dozens", "kg", "g"], category_id=[1, 1, 2, 2],
              factor=[1.0, 1.0 / 12.0, 1.0, 1000.0], factor_inv=[1.0, 12.0, 1.0, 0.001],
              uom_type=["reference", "bigger", "reference", "smaller"], rounding=[0.01, 0.01, 0.01, 0.01],
              active=True, create_date=ts0, write_date=ts0)
        b.add("account.journal", 6, name=["Point of Sale", "Customer Invoices", "Vendor Bills", "Cash", "Bank",
                                          "Miscellaneous Operations"],
              code=["POSS", "INV", "BILL", "CSH1", "BNK1", "MISC"],
              type=["sale", "sale", "purchase", "cash", "bank", "general"], company_id=1, active=True,
              create_date=ts0, write_date=ts0)
        self.taxes()

    def usd_rate(self, day_idx: int) -> float:
        """IDR per USD on business day ``day_idx`` (the rate of the USD invoices of that day)."""
        return 16_150.0 + 25.0 * (day_idx % 8)

    def currency_rates(self) -> None:
        """One USD rate per business day, as a daily rate provider leaves them. Odoo stores ``rate`` = units of
        the currency per unit of the company's (IDR): 1 / (IDR per USD)."""
        days = self.p.days
        idr_per_usd = np.array([self.usd_rate(d) for d in range(days)])
        self.b.add("res.currency.rate", days, name=[d.isoformat() for d in self.day_dates],
                   display_name=[d.isoformat() for d in self.day_dates], rate=1.0 / idr_per_usd,
                   company_rate=1.0 / idr_per_usd, inverse_company_rate=idr_per_usd, currency_id=self.usd_id,
                   company_id=1, create_date=self.day0, write_date=self.day0)

    def taxes(self) -> None:
        # (key, name, amount, use, price_include, active)
        defs = [
            ("sale_incl", "PPN 11% (Termasuk)", 11.0, "sale", True, True),
            ("sale_excl", "PPN 11%", 11.0, "sale", False, True),
            ("purchase", "PPN 11% (Pembelian)", 11.0, "purchase", False, True),
            ("sale_zero", "Bebas PPN 0%", 0.0, "sale", False, True),
            ("purchase_zero", "Bebas PPN 0% (Pembelian)", 0.0, "purchase", False, True),
            ("lux", "PPN 12% (Barang Mewah)", 12.0, "sale", False, False),
            ("pph", "PPh 22 (1.5%)", 1.5, "purchase", False, True),
        ]
        order = self.rng.permutation(len(defs))
        defs = [defs[i] for i in order]
        self.tax_id = {d[0]: i + 1 for i, d in enumerate(defs)}
        self.tax_rate = np.array([0.0] + [d[2] for d in defs])
        self.tax_incl = np.array([False] + [d[4] for d in defs])
        self.tax_name = [""] + [d[1] for d in defs]
        n = len(defs)
        self.b.add("account.tax", n, name=[d[1] for d in defs], amount=[d[2] for d in defs], amount_type="percent",
                   type_tax_use=[d[3] for d in defs], price_include=[d[4] for d in defs],
                   price_include_override=["tax_included" if d[4] else False for d in defs],
                   active=[d[5] for d in defs], company_id=1, children_tax_ids=[[] for _ in defs],
                   include_base_amount=False, description=[d[1] for d in defs], sequence=[1] * n,
                   create_date=self.setup_ts, write_date=self.setup_ts)
        # distribution lines, as Odoo creates them with a tax: per tax, invoice base / tax, refund base / tax
        nr = 4 * n
        tax_of = np.repeat(np.arange(1, n + 1), 4)
        doc = ["invoice", "invoice", "refund", "refund"] * n
        kind = ["base", "tax"] * (2 * n)
        self.tax_repartition = {"invoice": 4 * np.arange(n + 1) - 2, "refund": 4 * np.arange(n + 1)}  # by tax id
        self.b.add("account.tax.repartition.line", nr, factor_percent=100.0, factor=1.0, repartition_type=kind,
                   tax_id=tax_of, document_type=doc, invoice_tax_id=np.where(np.array(doc) == "invoice", tax_of, 0),
                   refund_tax_id=np.where(np.array(doc) == "refund", tax_of, 0), company_id=1, sequence=1,
                   use_in_tax_closing=[k == "tax" for k in kind],
                   create_date=self.setup_ts, write_date=self.setup_ts)

    # -------------------------------------------------------- products
    def products(self) -> None:
        b, rng, v = self.b, self.rng, self.version
        # categories
        paths: list[str] = []
        complete: list[str] = []
        for i, (name, parent, *_rest) in enumerate(CATEGORIES):
            paths.append((paths[parent] if parent is not None else "") + f"{i + 1}/")
            complete.append((complete[parent] + " / " if parent is not None else "") + name)
        nc = len(CATEGORIES)
        b.add("product.category", nc, name=[c[0] for c in CATEGORIES], complete_name=complete, display_name=complete,
              parent_id=[(c[1] + 1) if c[1] is not None else 0 for c in CATEGORIES], parent_path=paths,
              create_date=self.setup_ts, write_date=self.setup_ts)
        b.add("product.brand", len(BRANDS), name=BRANDS, description=False,
              partner_id=[int(self.vendors[i % len(self.vendors)]) if i % 3 == 0 else 0 for i in range(len(BRANDS))],
              create_date=self.setup_ts, write_date=[self.ts(self.setup_ts, 60 * DAY) for _ in BRANDS])
        leaves = [i for i, c in enumerate(CATEGORIES) if c[2]]
        leaf_w = np.array([0.1 if CATEGORIES[i][0] == "Hampers" else 1.0 for i in leaves])
        leaf_w /= leaf_w.sum()
        tmpl = Rows()
        tax_of: list[int] = []
        for t in range(1500):
            ci = leaves[int(rng.choice(len(leaves), p=leaf_w))] if t >= len(leaves) else leaves[t]
            cname, _parent, words, unit, (lo, hi), profile = CATEGORIES[ci]
            brand = int(rng.integers(len(BRANDS))) + 1 if rng.random() < 0.8 else 0
            word = words[int(rng.integers(len(words)))]
            size = SIZES[int(rng.integers(len(SIZES)))] if unit == "unit" and not any(c.isdigit() for c in word) else ""
            name = f"{BRANDS[brand - 1] + ' ' if brand else ''}{word}{size}"
            price = float(np.clip(round(np.exp(rng.uniform(np.log(lo), np.log(hi))) / 500) * 500, 3500, 250000))
            r = rng.random()
            if profile == "exempt":
                sale_tax = self.tax_id["sale_zero"] if r < 0.85 else self.tax_id["sale_incl"]
            else:
                sale_tax = (self.tax_id["sale_incl"] if r < 0.80 else self.tax_id["sale_excl"] if r < 0.95
                            else self.tax_id["sale_zero"])
            purchase_tax = self.tax_id["purchase_zero"] if sale_tax == self.tax_id["sale_zero"] else self.tax_id["purchase"]
            uom = 3 if unit == "kg" else 1
            uom_po = 2 if unit == "unit" and rng.random() < 0.18 else uom
            is_hamper = cname == "Hampers"
            tax_of.append(sale_tax)
            tmpl.add(name=name, categ_id=ci + 1, product_brand_id=brand, list_price=price,
                     standard_price=round(price * rng.uniform(0.55, 0.8) / (1.11 if sale_tax != self.tax_id["sale_zero"] else 1.0), 2),
                     uom_id=uom, uom_po_id=uom_po, taxes_id=[sale_tax], supplier_taxes_id=[purchase_tax],
                     active=bool(rng.random() > 0.03), available_in_pos=bool(rng.random() > 0.04),
                     sale_ok=True, purchase_ok=not is_hamper,
                     tracking="lot" if cname in ("Susu", "Bayi") and rng.random() < 0.3 else "none",
                     default_code=f"{cname[:3].upper()}-{t + 1:05d}" if rng.random() < 0.9 else False,
                     barcode=f"899{rng.integers(10**9, 10**10)}" if rng.random() < 0.85 else False,
                     kind="product")
        # a few service / consumable templates
        for name, kind in (("Biaya Layanan Antar", "service"), ("Kantong Belanja", "consu"),
                           ("Voucher Member", "service")):
            tax_of.append(self.tax_id["sale_incl"])
            tmpl.add(name=name, categ_id=1, product_brand_id=0, list_price=2000.0 if kind == "consu" else 10000.0,
                     standard_price=500.0, uom_id=1, uom_po_id=1, taxes_id=[self.tax_id["sale_incl"]],
                     supplier_taxes_id=[self.tax_id["purchase"]], active=True, available_in_pos=True, sale_ok=True,
                     purchase_ok=kind == "consu", tracking="none", default_code=False, barcode=False, kind=kind)
        cols = tmpl.columns()
        nt = len(tmpl)
        kinds = cols.pop("kind")
        type_cols: dict[str, Any]
        if v >= 18:
            type_cols = {"type": ["service" if k == "service" else "consu" for k in kinds],
                         "is_storable": [k == "product" for k in kinds]}
        else:
            type_cols = {"type": kinds, "detailed_type": kinds}
        t_display = [f"[{c}] {n}" if c else n for c, n in zip(cols["default_code"], cols["name"])]
        t_create = np.array([self.ts(self.setup_ts - 300 * DAY, 300 * DAY) for _ in range(nt)])
        t_write = np.where(rng.random(nt) < 0.2, self.day0[0] + rng.integers(0, self.p.days * DAY, nt),
                           t_create + rng.integers(0, 20 * DAY, nt))
        # variants: ~5 % of templates get two variants
        variant_tmpl: list[int] = []
        variant_word: list[str] = []
        for t in range(nt):
            if kinds[t] == "product" and rng.random() < 0.05:
                for w in rng.choice(len(VARIANT_WORDS), 2, replace=False):
                    variant_tmpl.append(t)
                    variant_word.append(VARIANT_WORDS[int(w)])
            else:
                variant_tmpl.append(t)
                variant_word.append("")
        vt = np.array(variant_tmpl)
        npp = len(vt)
        p_name = [cols["name"][t] for t in variant_tmpl]
        p_code = [cols["default_code"][t] if not w or not cols["default_code"][t]
                  else f"{cols['default_code'][t]}-{w[:2].upper()}" for t, w in zip(variant_tmpl, variant_word)]
        p_display = [(f"[{c}] " if c else "") + n + (f" ({w})" if w else "")
                     for c, n, w in zip(p_code, p_name, variant_word)]
        variant_barcode = [cols["barcode"][t] if not w else False for t, w in zip(variant_tmpl, variant_word)]
        common = {k: cols[k] for k in ("categ_id", "product_brand_id", "list_price", "uom_id", "uom_po_id", "active",
                                       "available_in_pos", "sale_ok", "purchase_ok", "tracking", "standard_price")}
        b.add("product.template", nt, name=cols["name"], display_name=t_display, default_code=cols["default_code"],
              barcode=cols["barcode"], taxes_id=cols["taxes_id"], supplier_taxes_id=cols["supplier_taxes_id"],
              company_id=0, product_variant_count=np.bincount(vt, minlength=nt), create_date=t_create,
              write_date=t_write, **common, **type_cols)
        b.add("product.product", npp, product_tmpl_id=vt + 1, name=p_name, display_name=p_display, default_code=p_code,
              barcode=variant_barcode, lst_price=[cols["list_price"][t] for t in variant_tmpl],
              taxes_id=[cols["taxes_id"][t] for t in variant_tmpl],
              supplier_taxes_id=[cols["supplier_taxes_id"][t] for t in variant_tmpl], company_id=0,
              create_date=t_create[vt], write_date=t_write[vt],
              **{k: [val[t] for t in variant_tmpl] for k, val in common.items()},
              **{k: [val[t] for t in variant_tmpl] for k, val in type_cols.items()})
        # per-variant arrays used by the generators
        self.n_products = npp
        self.p_price = np.array([cols["list_price"][t] for t in variant_tmpl])
        self.p_cost = np.array([cols["standard_price"][t] for t in variant_tmpl])
        self.p_tax = np.array([tax_of[t] for t in variant_tmpl])
        self.p_uom = np.array([cols["uom_id"][t] for t in variant_tmpl])
        self.p_uom_po = np.array([cols["uom_po_id"][t] for t in variant_tmpl])
        self.p_kind = np.array([kinds[t] for t in variant_tmpl])
        self.p_categ = np.array([cols["categ_id"][t] for t in variant_tmpl])
        self.p_lot = np.array([cols["tracking"][t] == "lot" for t in variant_tmpl])
        self.p_names = p_display
        self.p_vendor = self.vendors[rng.integers(0, len(self.vendors), npp)]
        hamper_categ = [i + 1 for i, c in enumerate(CATEGORIES) if c[0] == "Hampers"][0]
        self.p_hamper = self.p_categ == hamper_categ
        active = np.array([common["active"][t] and common["available_in_pos"][t] for t in variant_tmpl])
        self.p_storable = self.p_kind == "product"  # only these have quants (16/17 type 'product', 18 is_storable)
        storable_sellable = np.nonzero(active & self.p_storable)[0]
        weights = 1.0 / np.arange(1, len(storable_sellable) + 1) ** 0.9
        sell_w = weights[rng.permutation(len(storable_sellable))]
        # consumables (shopping bags) are sold too: ~1 % of the lines; their moves exist, their quants do not
        consumables = np.nonzero(active & (self.p_kind == "consu"))[0]
        share = 0.01 if len(consumables) else 0.0
        self.sellable = np.concatenate([storable_sellable, consumables])
        self.sell_w = np.concatenate([sell_w / sell_w.sum() * (1.0 - share),
                                      np.full(len(consumables), share / max(len(consumables), 1))])
        self.sell_w /= self.sell_w.sum()
        # lots: one per lot-tracked product
        lot_products = np.nonzero(self.p_lot)[0]
        self.lot_of = np.zeros(npp, dtype=np.int64)
        self.lot_of[lot_products] = np.arange(1, len(lot_products) + 1)
        b.add("stock.lot", len(lot_products), name=[f"LOT{self.start:%y%m}-{p + 1:05d}" for p in lot_products],
              product_id=lot_products + 1, company_id=1, ref=False, create_date=self.setup_ts, write_date=self.setup_ts)
        # simple bills of materials for hampers: 3-5 components each
        components = np.nonzero(~self.p_hamper & (self.p_kind == "product") & (self.p_uom == 1))[0]
        self.bom = {int(h): rng.choice(components, int(rng.integers(3, 6)), replace=False)
                    for h in np.nonzero(self.p_hamper)[0]}

    # -------------------------------------------------------- stock + pos setup
    def stock_setup(self) -> None:
        self.store_names = ["Toko Jakarta Selatan", "Toko Bandung", "Toko Surabaya", "Toko Depok"]
        codes = ["CWH", "TJS", "TBD", "TSB", "TDP"]
        wh_names = ["Gudang Pusat"] + self.store_names
        loc = Rows()
        for name, usage, parent in (("Physical Locations", "view", 0), ("Partners", "view", 0),
                                    ("Virtual Locations", "view", 0), ("Vendors", "supplier", 2),
                                    ("Customers", "customer", 2), ("Inventory adjustment", "inventory", 3),
                                    ("Production", "production", 3), ("Scrap", "inventory", 3),
                                    ("Inter-warehouse transit", "transit", 1)):
            loc.add(name=name, usage=usage, location_id=parent, company_id=0 if usage != "internal" else 1)
        self.loc_supplier, self.loc_customer, self.loc_inventory, self.loc_production, self.loc_scrap = 4, 5, 6, 7, 8
        self.wh_stock = []
        view_ids = []
        for code in codes:
            view_ids.append(loc.add(name=code, usage="view", location_id=1, company_id=1))
            self.wh_stock.append(loc.add(name="Stock", usage="internal", location_id=view_ids[-1], company_id=1))
        cols = loc.columns()
        names = cols["name"]
        parents = cols["location_id"]
        complete: list[str] = []
        for nm, parent, usage in zip(names, parents, cols["usage"]):
            complete.append(f"{complete[parent - 1]}/{nm}" if parent and usage != "view" else nm)
        nl = len(loc)
        wh_of_loc = [0] * nl
        for w, (vid, sid) in enumerate(zip(view_ids, self.wh_stock)):
            wh_of_loc[vid - 1] = wh_of_loc[sid - 1] = w + 1
        self.b.add("stock.location", nl, name=names, complete_name=complete, display_name=complete,
                   usage=cols["usage"], location_id=parents, company_id=cols["company_id"], active=True,
                   warehouse_id=wh_of_loc, scrap_location=[i + 1 == self.loc_scrap for i in range(nl)],
                   create_date=self.setup_ts, write_date=self.setup_ts)
        self.loc_usage = np.array(["" ] + cols["usage"], dtype=object)
        self.b.add("stock.warehouse", len(codes), name=wh_names, code=codes, company_id=1, view_location_id=view_ids,
                   lot_stock_id=self.wh_stock, active=True, create_date=self.setup_ts, write_date=self.setup_ts)
        ptype = Rows()
        self.ptype: dict[tuple[int, str], int] = {}
        for w, code in enumerate(codes):
            stock = self.wh_stock[w]
            kinds = [("Receipts", "incoming", "IN", self.loc_supplier, stock),
                     ("Delivery Orders", "outgoing", "OUT", stock, self.loc_customer),
                     ("Internal Transfers", "internal", "INT", stock, stock)]
            kinds += ([("Manufacturing", "mrp_operation", "MO", stock, stock)] if w == 0
                      else [("PoS Orders", "outgoing", "POS", stock, self.loc_customer)])
            for name, kind, seq, src, dst in kinds:
                self.ptype[(w, seq)] = ptype.add(name=name, code=kind, warehouse_id=w + 1, sequence_code=seq,
                                                 default_location_src_id=src, default_location_dest_id=dst)
        pcols = ptype.columns()
        n = len(ptype)
        self.ptype_code = [""] + pcols["code"]
        self.b.add("stock.picking.type", n, **pcols, company_id=1, active=True,
                   display_name=[f"{wh_names[w - 1]}: {nm}" for w, nm in zip(pcols["warehouse_id"], pcols["name"])],
                   create_date=self.setup_ts, write_date=self.setup_ts)
        self.wh_codes = codes

    def pos_setup(self) -> None:
        b, rng = self.b, self.rng
        b.add("pos.payment.method", 4, name=["Cash", "QRIS", "Debit Card", "Credit Card"],
              is_cash_count=[True, False, False, False], journal_id=[4, 5, 5, 5], active=True, company_id=1,
              split_transactions=False, create_date=self.setup_ts, write_date=self.setup_ts)
        ns = len(self.store_names)
        names = self.store_names + ["Toko Bekasi (tutup)"]
        self.pos_hr = [True, True, True, False]
        b.add("pos.config", ns + 1, name=names, company_id=1, active=[True] * ns + [False],
              module_pos_hr=self.pos_hr + [True],
              picking_type_id=[self.ptype[(w + 1, "POS")] for w in range(ns)] + [self.ptype[(1, "POS")]],
              payment_method_ids=[[1, 2, 3, 4]] * (ns + 1), currency_id=self.currency_id,
              basic_employee_ids=[[] for _ in range(ns + 1)],
              create_date=self.setup_ts, write_date=[self.ts(self.setup_ts, 40 * DAY) for _ in range(ns + 1)])
        # cashiers per store (active employees only, excluding the owner)
        cashiers = np.nonzero(self.employee_active)[0][1:] + 1
        self.store_cashiers = [cashiers[i::ns] for i in range(ns)]
        self.store_user = self.pos_users[:ns]
        # sessions: one per store per day; the last day's session of the last store is still open
        days = self.p.days
        sess_day = np.repeat(np.arange(days), ns)
        sess_store = np.tile(np.arange(ns), days)
        n = days * ns
        start = self.day0[sess_day] - int(rng.integers(60, 600))
        stop = self.day0[sess_day] + DAY + 40 * 60 + rng.integers(0, 900, n)
        state = np.full(n, "closed", dtype=object)
        state[-1] = "opened"
        # a session closes after midnight: one whose closing time has not come yet (the demo started just after
        # midnight) is still in progress, as it would be in Odoo, rather than closed with its stock moves in the
        # future
        in_progress = stop > self.now
        in_progress[-1] = True
        state[in_progress] = "opened"
        stop[in_progress] = NULL_TS
        self.sess_open = state == "opened"
        self.sess_stop = stop
        self.n_stores = ns
        b.add("pos.session", n, name=[f"POS/{i + 1:05d}" for i in range(n)], config_id=sess_store + 1,
              user_id=self.store_user[sess_store], start_at=start, stop_at=stop, state=list(state), company_id=1,
              currency_id=self.currency_id, update_stock_at_closing=True, create_date=start,
              write_date=np.where(stop == NULL_TS, start, stop))

    # -------------------------------------------------------- POS orders
    def pos_orders(self) -> None:
        rng, p = self.rng, self.p
        ns, days = self.n_stores, p.days
        if p.pos_lines:
            per_day = p.pos_lines / (days * MEAN_LINES * 1.01)
        else:
            per_day = float(DEFAULT_ORDERS_PER_DAY if p.orders_per_day is None else p.orders_per_day)
        store_w = np.array([0.34, 0.26, 0.22, 0.18])[:ns]
        store_w = store_w / store_w.sum()
        weekday = np.array([d.weekday() for d in self.day_dates])
        day_f = np.where(weekday >= 5, 1.25, np.where(weekday == 4, 1.1, 0.95))
        lam = per_day * (day_f / day_f.mean())[:, None] * store_w[None, :]
        counts = rng.poisson(lam).ravel()  # per session (day-major, store-minor)
        n = int(counts.sum())
        sess = np.repeat(np.arange(days * ns), counts)
        day = sess // ns
        store = sess % ns
        minute_w = np.repeat(HOUR_PROFILE, 60) / (HOUR_PROFILE.sum() * 60)
        minute = rng.choice(1440, n, p=minute_w)
        date_order = self.day0[day] + minute * 60 + rng.integers(0, 60, n)
        # partner: members, a few B2B customers, mostly walk-in
        r = rng.random(n)
        partner = np.where(r < 0.17, self.members[rng.integers(0, len(self.members), n)],
                           np.where(r < 0.19, self.b2b[rng.integers(0, len(self.b2b), n)], 0))
        cashier = np.zeros(n, dtype=np.int64)
        for s in range(ns):
            idx = np.nonzero(store == s)[0]
            if self.pos_hr[s]:
                cashier[idx] = self.store_cashiers[s][rng.integers(0, len(self.store_cashiers[s]), len(idx))]
        open_sess = self.sess_open[sess]
        r = rng.random(n)
        state = np.where(open_sess, "paid", "done").astype(object)
        state[(partner > 0) & (rng.random(n) < 0.07) & ~open_sess] = "invoiced"
        state[r < 0.006] = "cancel"
        state[open_sess & (r > 0.985)] = "draft"
        # lines
        nlines = rng.choice(np.arange(1, 9), n, p=LINES_P)
        line_order = np.repeat(np.arange(n), nlines)
        nl = len(line_order)
        product = self.sellable[rng.choice(len(self.sellable), nl, p=self.sell_w)]
        by_weight = self.p_uom[product] == 3
        # weighed quantities respect the kg rounding (0.01), as Odoo's POS and stock require
        qty = np.where(by_weight, round_qty(rng.uniform(0.2, 2.5, nl)),
                       rng.choice([1, 2, 3, 4, 5, 6], nl, p=[0.7, 0.18, 0.07, 0.03, 0.01, 0.01]).astype(float))
        discount = rng.choice([0.0, 5.0, 10.0, 20.0], nl, p=[0.86, 0.07, 0.05, 0.02])
        # refunds: ~2 % of settled orders, 1-7 days later, at least one line
        settled = np.isin(state, ["done", "invoiced"])
        delay = rng.integers(1, 8, n)
        refund = settled & (rng.random(n) < 0.02) & (day + delay < days)
        ref_orders = np.nonzero(refund)[0]
        first_line = np.concatenate([[0], np.cumsum(nlines)[:-1]])
        pick = refund[line_order] & ((rng.random(nl) < 0.6) | (np.arange(nl) == first_line[line_order]))
        ref_lines = np.nonzero(pick)[0]
        nr = len(ref_orders)
        ref_index = np.full(n, -1)
        ref_index[ref_orders] = np.arange(nr)
        r_day = day[ref_orders] + delay[ref_orders]
        r_store = store[ref_orders]
        r_sess = r_day * ns + r_store
        r_date = self.day0[r_day] + rng.choice(1440, nr, p=minute_w) * 60 + rng.integers(0, 60, nr)
        r_state = np.where(self.sess_open[r_sess], "paid", "done").astype(object)
        r_cashier = np.zeros(nr, dtype=np.int64)
        for s in range(ns):
            idx = np.nonzero(r_store == s)[0]
            if self.pos_hr[s]:
                r_cashier[idx] = self.store_cashiers[s][rng.integers(0, len(self.store_cashiers[s]), len(idx))]
        r_qty = -np.where(qty[ref_lines] > 1, np.where(rng.random(len(ref_lines)) < 0.5, 1.0, qty[ref_lines]),
                          qty[ref_lines])
        r_qty = np.where(by_weight[ref_lines], -qty[ref_lines], r_qty)
        # all orders: originals then refunds; ids follow date_order
        all_sess = np.concatenate([sess, r_sess])
        all_date = np.concatenate([date_order, r_date])
        order_perm = np.lexsort((np.arange(n + nr), all_date))
        new_id = np.empty(n + nr, dtype=np.int64)
        new_id[order_perm] = np.arange(1, n + nr + 1)
        all_lines_order = np.concatenate([line_order, n + ref_index[line_order[ref_lines]]])
        all_product = np.concatenate([product, product[ref_lines]])
        all_qty = np.concatenate([qty, r_qty])
        all_disc = np.concatenate([discount, discount[ref_lines]])
        refunded_line_old = np.concatenate([np.full(nl, -1), ref_lines])
        line_perm = np.lexsort((np.arange(len(all_lines_order)), new_id[all_lines_order]))
        line_new_id = np.empty(len(line_perm), dtype=np.int64)
        line_new_id[line_perm] = np.arange(1, len(line_perm) + 1)
        # sorted line arrays
        L_order = new_id[all_lines_order][line_perm]
        L_product = all_product[line_perm]
        L_qty = all_qty[line_perm]
        L_disc = all_disc[line_perm]
        L_price = self.p_price[L_product]
        L_tax = self.p_tax[L_product]
        old_ref = refunded_line_old[line_perm]
        L_refunded = np.where(old_ref >= 0, line_new_id[np.maximum(old_ref, 0)], 0)
        excl, incl = tax_amounts(L_price * (1 - L_disc / 100.0) * L_qty, self.tax_rate[L_tax], self.tax_incl[L_tax])
        N = n + nr
        O = order_perm  # old index of the order with new id k+1
        o_state = np.concatenate([state, r_state])[O]
        o_sess = all_sess[O]
        o_date = all_date[O]
        o_store = o_sess % ns
        o_partner = np.concatenate([partner, partner[ref_orders]])[O]
        o_cashier = np.concatenate([cashier, r_cashier])[O]
        o_is_refund = O >= n
        o_origin = np.zeros(N, dtype=np.int64)
        o_origin[o_is_refund] = new_id[ref_orders[O[o_is_refund] - n]]
        total = round_money(np.bincount(L_order - 1, weights=incl, minlength=N))
        tax = round_money(np.bincount(L_order - 1, weights=incl - excl, minlength=N))
        unsettled = np.isin(o_state, ["draft", "cancel"])
        # payments
        pay_orders = np.nonzero(~unsettled)[0]
        method = rng.choice([1, 2, 3, 4], N, p=[0.45, 0.30, 0.15, 0.10])
        split = (rng.random(N) < 0.08) & (total > 20000) & ~o_is_refund
        first_amt = np.where(split, round_money(np.floor(total * rng.uniform(0.3, 0.7, N) / 1000) * 1000), total)
        second_method = np.where(method == 1, 2, 1)
        cash_due = np.where(split, np.where(second_method == 1, total - first_amt, 0),
                            np.where(method == 1, total, 0))
        step = rng.choice([1000.0, 5000.0, 10000.0, 50000.0], N, p=[0.3, 0.3, 0.25, 0.15])
        tendered = np.where((cash_due > 0) & (rng.random(N) < 0.7), np.ceil(cash_due / step) * step, cash_due)
        change = round_money(tendered - cash_due)
        rows_order, rows_method, rows_amount, rows_change = [], [], [], []
        settled_idx = pay_orders
        first = np.where(split[settled_idx], first_amt[settled_idx],
                         np.where(method[settled_idx] == 1, tendered[settled_idx], total[settled_idx]))
        rows_order.append(settled_idx); rows_method.append(method[settled_idx]); rows_amount.append(first)
        rows_change.append(np.zeros(len(settled_idx), dtype=bool))
        sp = settled_idx[split[settled_idx]]
        second = np.where(second_method[sp] == 1, tendered[sp], total[sp] - first_amt[sp])
        rows_order.append(sp); rows_method.append(second_method[sp]); rows_amount.append(round_money(second))
        rows_change.append(np.zeros(len(sp), dtype=bool))
        ch = settled_idx[change[settled_idx] > 0]
        rows_order.append(ch); rows_method.append(np.ones(len(ch), dtype=np.int64)); rows_amount.append(-change[ch])
        rows_change.append(np.ones(len(ch), dtype=bool))
        P_order = np.concatenate(rows_order)
        P_seq = np.concatenate([np.full(len(x), k) for k, x in enumerate(rows_order)])
        pp = np.lexsort((P_seq, P_order))
        P_order, P_method = P_order[pp], np.concatenate(rows_method)[pp]
        P_amount, P_change = np.concatenate(rows_amount)[pp], np.concatenate(rows_change)[pp]
        paid = round_money(np.bincount(P_order, weights=P_amount, minlength=N))
        amount_return = np.where(unsettled, 0.0, change)
        # names
        seq = np.zeros(N, dtype=np.int64)
        for s in range(ns):
            idx = np.nonzero(o_store == s)[0]
            seq[idx] = np.arange(1, len(idx) + 1)
        store_names = self.store_names
        names = [f"{store_names[s]}/{q:05d}" for s, q in zip(o_store.tolist(), seq.tolist())]
        for k in np.nonzero(o_is_refund)[0].tolist():
            names[k] = names[int(o_origin[k]) - 1] + " REFUND"
        refs = [f"Order {ss + 1:05d}-001-{q:04d}" for ss, q in zip(o_sess.tolist(), seq.tolist())]
        create = o_date + rng.integers(1, 90, N)
        write = np.where(o_state == "done", np.maximum(self.sess_stop[o_sess], create), create)
        late = rng.random(N) < 0.005
        write = np.where(late, create + rng.integers(DAY, 10 * DAY, N), write)
        refunded_by = np.zeros(N, dtype=np.int64)
        refunded_by[o_origin[o_is_refund] - 1] = np.nonzero(o_is_refund)[0] + 1
        self.pos = dict(N=N, state=o_state, sess=o_sess, date=o_date, store=o_store, partner=o_partner,
                        total=total, tax=tax, names=names, L_order=L_order, L_product=L_product, L_qty=L_qty,
                        L_disc=L_disc, L_price=L_price, L_tax=L_tax, L_excl=excl, L_incl=incl, create=create)
        user = self.store_user[o_store]
        order_cols: dict[str, Any] = dict(
            name=StrCol(np.arange(N, dtype=np.int32), names), pos_reference=StrCol(np.arange(N, dtype=np.int32), refs),
            date_order=o_date, state=list(o_state), session_id=o_sess + 1, config_id=o_store + 1,
            partner_id=o_partner, user_id=user, employee_id=o_cashier, company_id=1,
            currency_id=self.currency_id, amount_total=total, amount_tax=tax,
            amount_paid=np.where(unsettled, 0.0, paid), amount_return=amount_return,
            is_refunded=refunded_by > 0, refund_orders_count=(refunded_by > 0).astype(np.int64),
            to_invoice=o_state == "invoiced", is_invoiced=o_state == "invoiced",
            create_date=create, write_date=write)
        emp_names = self.b.tables["hr.employee"].columns["name"]
        order_cols["cashier"] = StrCol(np.where(o_cashier > 0, emp_names.codes[np.maximum(o_cashier - 1, 0)], -1),
                                       emp_names.values)
        if self.version >= 18:
            order_cols["refunded_order_id"] = o_origin
        else:
            order_cols["refunded_order_ids"] = M2MCol.from_single(o_origin)
            order_cols["refunded_orders_count"] = (o_origin > 0).astype(np.int64)
        self.pos_order_cols = order_cols
        # lines
        NL = len(L_order)
        line_seq = np.arange(NL) - np.searchsorted(L_order, L_order)  # position within the order
        name_codes = np.arange(NL, dtype=np.int32)
        line_names = [f"{names[o - 1]}-{k + 1}" for o, k in zip(L_order.tolist(), line_seq.tolist())]
        refunded_qty = np.zeros(NL)
        has_ref = L_refunded > 0
        np.add.at(refunded_qty, L_refunded[has_ref] - 1, -L_qty[has_ref])
        self.b.add("pos.order.line", NL, name=StrCol(name_codes, line_names), order_id=L_order,
                   product_id=L_product + 1,
                   full_product_name=StrCol(L_product.astype(np.int32), self.p_names),
                   qty=L_qty, price_unit=L_price, discount=L_disc, price_subtotal=excl, price_subtotal_incl=incl,
                   total_cost=np.round(self.p_cost[L_product] * L_qty, 2),
                   tax_ids=M2MCol.from_single(L_tax), tax_ids_after_fiscal_position=M2MCol.from_single(L_tax),
                   product_uom_id=self.p_uom[L_product], refunded_orderline_id=L_refunded, refunded_qty=refunded_qty,
                   company_id=1, currency_id=self.currency_id, create_date=create[L_order - 1],
                   write_date=create[L_order - 1])
        NP = len(P_order)
        self.b.add("pos.payment", NP, name=False, pos_order_id=P_order + 1, payment_method_id=P_method,
                   amount=P_amount, payment_date=o_date[P_order], session_id=o_sess[P_order] + 1, company_id=1,
                   currency_id=self.currency_id, is_change=P_change, create_date=create[P_order],
                   write_date=create[P_order])

    # -------------------------------------------------------- accounting
    def accounting(self) -> None:
        rng, pos = self.rng, self.pos
        moves: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []

        def add_move(move_type: str, partner: int, day_idx: int, state: str, items: list[tuple], origin: Any = False,
                     user: int = 2, reversed_of: int = 0, created: int | None = None, ref: Any = False,
                     sections: bool = False, from_pos: bool = False, usd_rate: float = 0.0) -> int:
            """items: (product, qty, uom, price_unit, discount, tax_id, excl, incl) in the move's currency: IDR, or
            USD when `usd_rate` (IDR per USD on the invoice date) is given. As in Odoo, `amount_currency` and
            amount_untaxed/tax/total are in the move's currency, `balance` and the `*_signed` totals in the company's
            (IDR), each product and tax line converted and rounded on its own."""
            d = self.day_dates[day_idx]
            move = dict(move_type=move_type, partner_id=partner, day=day_idx, date=d.isoformat(),
                        invoice_date=d.isoformat(), state=state, invoice_origin=origin, invoice_user_id=user,
                        reversed_entry_id=reversed_of, ref=ref, from_pos=from_pos, journal_id=3 if move_type.startswith("in") else 2,
                        currency_id=self.usd_id if usd_rate else self.currency_id,
                        created=created if created is not None else int(self.day0[day_idx]) + 9 * 3600
                        + int(rng.integers(0, 8 * 3600)))
            moves.append(move)
            mid = len(moves)
            sign = 1 if move_type in ("in_invoice", "out_refund") else -1  # balance sign of product lines
            foreign = {"currency_id": self.usd_id} if usd_rate else {}

            def company(amount: float) -> float:
                return float(round_money(amount * usd_rate)) if usd_rate else amount

            doc = "refund" if move_type.endswith("_refund") else "invoice"  # which distribution lines apply
            untaxed = taxed = untaxed_company = tax_company = 0.0
            per_tax: dict[int, float] = {}
            if sections:
                lines.append(dict(move=mid, display_type="line_section", name="Pesanan reguler", product_id=0))
            for prod, qty, uom, price, disc, tax, excl, incl in items:
                lines.append(dict(move=mid, display_type="product", name=self.p_names[prod], product_id=prod + 1,
                                  quantity=qty, product_uom_id=uom, price_unit=price, discount=disc,
                                  tax_ids=[tax] if tax else [], price_subtotal=excl, price_total=incl,
                                  balance=sign * company(excl), amount_currency=sign * excl, **foreign))
                untaxed += excl
                untaxed_company += company(excl)
                taxed += incl
                if tax:
                    per_tax[tax] = per_tax.get(tax, 0.0) + (incl - excl)
            if sections:
                lines.append(dict(move=mid, display_type="line_note", name="Terima kasih atas pesanan Anda",
                                  product_id=0))
            for tax, amount in sorted(per_tax.items()):
                if round(amount, 2):
                    amount = float(round_money(amount))
                    tax_company += company(amount)
                    lines.append(dict(move=mid, display_type="tax", name=self.tax_name[tax], tax_line_id=tax,
                                      tax_repartition_line_id=int(self.tax_repartition[doc][tax]),
                                      balance=sign * company(amount), amount_currency=sign * amount, **foreign))
            total = float(round_money(taxed))
            untaxed = float(round_money(untaxed))
            total_company = float(round_money(untaxed_company + tax_company)) if usd_rate else total
            untaxed_company = float(round_money(untaxed_company)) if usd_rate else untaxed
            lines.append(dict(move=mid, display_type="payment_term", name="", balance=-sign * total_company,
                              amount_currency=-sign * total, **foreign))
            out_sign = {"out_invoice": 1, "out_refund": -1, "in_invoice": -1, "in_refund": 1}[move_type]
            # Odoo's _compute_amount: *_signed in the company's currency (tax = − Σ tax-line balances), and
            # amount_total_in_currency_signed = the total in the move's currency with the same sign
            move.update(amount_untaxed=untaxed, amount_tax=float(round_money(total - untaxed)), amount_total=total,
                        amount_total_signed=out_sign * total_company, amount_untaxed_signed=out_sign * untaxed_company,
                        amount_tax_signed=out_sign * float(round_money(tax_company)),
                        amount_total_in_currency_signed=out_sign * total)
            return mid

        # invoices created from POS orders
        inv_orders = np.nonzero(pos["state"] == "invoiced")[0]
        L_order = pos["L_order"]
        line_start = np.searchsorted(L_order, inv_orders + 1, side="left")
        line_end = np.searchsorted(L_order, inv_orders + 1, side="right")
        self.pos_account_move = np.zeros(pos["N"], dtype=np.int64)
        order_day = (pos["date"] + TZ_OFFSET - (self.day0[0] + TZ_OFFSET)) // DAY
        for o, a, z in zip(inv_orders.tolist(), line_start.tolist(), line_end.tolist()):
            items = [(int(pos["L_product"][i]), float(pos["L_qty"][i]), int(self.p_uom[pos["L_product"][i]]),
                      float(pos["L_price"][i]), float(pos["L_disc"][i]), int(pos["L_tax"][i]),
                      float(pos["L_excl"][i]), float(pos["L_incl"][i])) for i in range(a, z)]
            mid = add_move("out_invoice", int(pos["partner"][o]), int(order_day[o]), "posted", items,
                           origin=pos["names"][o], user=int(self.store_user[pos["store"][o]]),
                           created=int(pos["create"][o]) + 120, from_pos=True)
            self.pos_account_move[o] = mid
        # B2B invoices and credit notes (price-excluded PPN); deliveries come from the central warehouse.
        # Every fourth B2B invoice is an export sale in USD at the day's rate (its credit notes too).
        sale_excl, sale_zero = self.tax_id["sale_excl"], self.tax_id["sale_zero"]
        self.b2b_deliveries: list[tuple[int, int, int, float, bool]] = []  # (day, partner, product, qty, is_return)
        posted_b2b: list[tuple[int, int, list[tuple]]] = []

        usd_rate = self.usd_rate  # IDR per USD, as served by res.currency.rate
        n_b2b = 0
        for d in range(self.p.days):
            for _ in range(int(rng.poisson(2.5))):
                partner = int(self.b2b[rng.integers(len(self.b2b))])
                rate = usd_rate(d) if n_b2b % 4 == 3 else 0.0
                n_b2b += 1
                items = []
                for prod in self.sellable[rng.choice(len(self.sellable), int(rng.integers(1, 11)), p=self.sell_w)]:
                    qty = float(rng.integers(5, 61)) if self.p_uom[prod] == 1 else float(rng.integers(5, 30))
                    price = float(round(self.p_price[prod] * 0.92 / (1.11 if self.tax_incl[self.p_tax[prod]] else 1), 0))
                    price = float(round_money(price / rate)) if rate else price
                    tax = sale_zero if self.p_tax[prod] == sale_zero else sale_excl
                    disc = float(rng.choice([0.0, 0.0, 0.0, 2.5, 5.0]))
                    excl, incl = tax_amounts(np.array([price * (1 - disc / 100) * qty]), self.tax_rate[[tax]],
                                             self.tax_incl[[tax]])
                    items.append((int(prod), qty, int(self.p_uom[prod]), price, disc, tax, float(excl[0]), float(incl[0])))
                r = rng.random()
                state = "posted" if r < 0.9 else "draft" if r < 0.95 else "cancel"
                mid = add_move("out_invoice", partner, d, state, items, origin=f"SO{rng.integers(1000, 9999)}",
                               user=int(self.pos_users[-1]), sections=rng.random() < 0.1, usd_rate=rate)
                if state == "posted":
                    posted_b2b.append((mid, d, items))
                    for it in items:
                        self.b2b_deliveries.append((d, partner, it[0], it[1], False))
        for mid, d, items in posted_b2b:
            if rng.random() < 0.08 and d + 1 < self.p.days:
                rd = int(min(self.p.days - 1, d + rng.integers(1, 11)))
                sub = items[: max(1, len(items) // 2)]
                in_usd = moves[mid - 1]["currency_id"] == self.usd_id
                add_move("out_refund", moves[mid - 1]["partner_id"], rd, "posted", sub, reversed_of=mid,
                         ref=f"Reversal of: {mid}", usd_rate=usd_rate(rd) if in_usd else 0.0)
                for it in sub:
                    self.b2b_deliveries.append((rd, moves[mid - 1]["partner_id"], it[0], it[1], True))
        self.moves, self.move_lines, self.add_move = moves, lines, add_move

    # -------------------------------------------------------- stock
    def stock_moves(self) -> None:
        """Store deliveries, returns, transfers, receipts (from vendor bills), MOs, adjustments, scrap."""
        rng, pos, ns, days = self.rng, self.pos, self.n_stores, self.p.days
        npr = self.n_products
        weeks = (days + 6) // 7
        moves: dict[str, list[np.ndarray]] = {k: [] for k in (
            "product", "qty", "uom", "src", "dst", "date", "picking", "ptype", "origin", "inventory", "scrapped",
            "raw_mo", "fin_mo", "name")}
        pickings = Rows()

        def add(product: np.ndarray, qty: np.ndarray, src: Any, dst: Any, when: Any, picking: Any = 0, ptype: Any = 0,
                origin: Any = "", inventory: bool = False, scrapped: bool = False, raw_mo: Any = 0, fin_mo: Any = 0,
                uom: Any = None, name: Any = "") -> None:
            k = len(product)
            if not k:
                return
            full = lambda v, dt: np.broadcast_to(np.asarray(v, dtype=dt), (k,)).copy()  # noqa: E731
            moves["product"].append(np.asarray(product, dtype=np.int64))
            moves["qty"].append(round_qty(qty))  # the move's UoM rounding (0.01), as Odoo requires at done
            moves["uom"].append(self.p_uom[product] if uom is None else full(uom, np.int64))
            moves["src"].append(full(src, np.int64))
            moves["dst"].append(full(dst, np.int64))
            moves["date"].append(full(when, np.int64))
            moves["picking"].append(full(picking, np.int64))
            moves["ptype"].append(full(ptype, np.int64))
            moves["origin"].append(full(origin, object))
            moves["inventory"].append(full(inventory, bool))
            moves["scrapped"].append(full(scrapped, bool))
            moves["raw_mo"].append(full(raw_mo, np.int64))
            moves["fin_mo"].append(full(fin_mo, np.int64))
            moves["name"].append(full(name, object))

        def picking(wh: int, seq: str, src: int, dst: int, when: int, origin: Any = False, partner: int = 0,
                    session: int = 0, pos_order: int = 0) -> int:
            return pickings.add(wh=wh, seq=seq, picking_type_id=self.ptype[(wh, seq)], location_id=src,
                                location_dest_id=dst, date_done=when, origin=origin, partner_id=partner,
                                pos_session_id=session, pos_order_id=pos_order)

        # 1. POS deliveries / returns. Odoo's default (res.company point_of_sale_update_stock_quantities =
        #    'closing', pos.session update_stock_at_closing): one picking per session and direction at the session's
        #    closing, one move per product (pos.session _create_picking_at_end_of_session). Invoiced orders are left
        #    out there because the company uses anglo-saxon accounting (l10n_id): pos.order
        #    _should_create_picking_real_time gives them their own picking when they are paid (synced).
        settled = np.isin(pos["state"], ["paid", "done", "invoiced"])
        invoiced = pos["state"] == "invoiced"
        L_o = pos["L_order"] - 1
        L_settled = settled[L_o]
        L_sess = pos["sess"][L_o]
        closed_line = L_settled & ~self.sess_open[L_sess] & ~invoiced[L_o]
        key = L_sess[closed_line] * npr + pos["L_product"][closed_line]
        qty = pos["L_qty"][closed_line]
        sold_units = np.zeros((days, ns, npr))
        pos_ptype = np.array([self.ptype[(s + 1, "POS")] for s in range(ns)])
        for sign_mask, is_return in ((qty > 0, False), (qty < 0, True)):
            uk, inv = np.unique(key[sign_mask], return_inverse=True)
            sums = round_qty(np.bincount(inv, weights=np.abs(qty[sign_mask])))
            s_idx, prod = uk // npr, uk % npr
            sess_ids, first = np.unique(s_idx, return_index=True)
            pick_of = np.zeros(days * ns, dtype=np.int64)
            for s in sess_ids.tolist():
                store = s % ns
                stock = self.wh_stock[store + 1]
                src, dst = (self.loc_customer, stock) if is_return else (stock, self.loc_customer)
                pick_of[s] = picking(store + 1, "POS", src, dst, int(self.sess_stop[s]), origin=f"POS/{s + 1:05d}",
                                     session=s + 1)
            add(prod, sums, np.where(is_return, self.loc_customer, np.array(self.wh_stock)[s_idx % ns + 1]),
                np.where(is_return, np.array(self.wh_stock)[s_idx % ns + 1], self.loc_customer),
                self.sess_stop[s_idx], picking=pick_of[s_idx], ptype=pos_ptype[s_idx % ns],
                origin=np.array([f"POS/{s + 1:05d}" for s in range(days * ns)], dtype=object)[s_idx])
            np.add.at(sold_units, (s_idx // ns, s_idx % ns, prod), -sums if is_return else sums)
        # invoiced orders: a picking of their own when synced (pos.order _create_order_picking), partner and
        # pos_order_id set, origin the order's name, one move per product
        inv_line = L_settled & invoiced[L_o]
        uk, at = np.unique(L_o[inv_line] * npr + pos["L_product"][inv_line], return_inverse=True)
        sums = round_qty(np.bincount(at, weights=pos["L_qty"][inv_line]))
        o_idx, prod = uk // npr, uk % npr
        synced = np.minimum(pos["create"], self.b.horizon_ts)  # as the orders' create_date
        pick_of_order = {o: picking(int(pos["store"][o]) + 1, "POS", self.wh_stock[int(pos["store"][o]) + 1],
                                    self.loc_customer, int(synced[o]), origin=pos["names"][o],
                                    partner=int(pos["partner"][o]), session=int(pos["sess"][o]) + 1, pos_order=o + 1)
                         for o in np.unique(o_idx).tolist()}
        store_of = pos["store"][o_idx]
        names = np.array(pos["names"], dtype=object)
        add(prod, sums, np.array(self.wh_stock)[store_of + 1], self.loc_customer, synced[o_idx],
            picking=np.array([pick_of_order[o] for o in o_idx.tolist()], dtype=np.int64), ptype=pos_ptype[store_of],
            origin=names[o_idx])
        np.add.at(sold_units, (pos["sess"][o_idx] // ns, store_of, prod), sums)
        # sales of the still-open session also consume stock for replenishment planning
        weekly_sales = np.zeros((weeks, ns, npr))
        np.add.at(weekly_sales, np.arange(days) // 7, sold_units)
        weekly_sales = round_qty(np.maximum(weekly_sales, 0))
        # 2. opening stock (inventory adjustment on day 0) and weekly replenishment from the central warehouse
        opening_store = np.ceil(weekly_sales.max(axis=0) * 1.5) + (weekly_sales.max(axis=0) > 0) * 2
        t0 = int(self.day0[0]) + 5 * 60
        for s in range(ns):
            prods = np.nonzero((opening_store[s] > 0) & self.p_storable)[0]  # quants: storable products only
            add(prods, opening_store[s][prods], self.loc_inventory, self.wh_stock[s + 1], t0, inventory=True,
                origin=False, name="Product Quantity Updated")
        central_need = np.zeros((weeks, npr))
        for w in range(1, weeks):
            when = int(self.day0[min(w * 7, days - 1)]) + 6 * 3600
            for s in range(ns):
                prods = np.nonzero(weekly_sales[w - 1, s] > 0)[0]
                if not len(prods):
                    continue
                pk = picking(0, "INT", self.wh_stock[0], self.wh_stock[s + 1], when + s * 600,
                             origin=f"Replenishment W{w}")
                add(prods, weekly_sales[w - 1, s, prods], self.wh_stock[0], self.wh_stock[s + 1], when + s * 600,
                    picking=pk, ptype=self.ptype[(0, "INT")], origin=f"Replenishment W{w}")
                central_need[w, prods] += weekly_sales[w - 1, s, prods]
        # 3. B2B deliveries and returns from the central warehouse
        by_move: dict[tuple[int, int, bool], list[tuple[int, float]]] = {}
        for d, partner, prod, q, is_return in self.b2b_deliveries:
            by_move.setdefault((d, partner, is_return), []).append((prod, q))
            central_need[d // 7, prod] += 0 if is_return else q
        for (d, partner, is_return), items in by_move.items():
            when = int(self.day0[d]) + 14 * 3600
            src, dst = (self.loc_customer, self.wh_stock[0]) if is_return else (self.wh_stock[0], self.loc_customer)
            pk = picking(0, "IN" if is_return else "OUT", src, dst, when, partner=partner)
            prods = np.array([i[0] for i in items])
            add(prods, np.array([i[1] for i in items]), src, dst, when, picking=pk,
                ptype=self.ptype[(0, "IN" if is_return else "OUT")])
        # 4. manufacturing: weekly hamper production in the central warehouse
        mos = Rows()
        for w in range(weeks):
            hampers = np.nonzero(central_need[w] * self.p_hamper > 0)[0]
            when = int(self.day0[min(w * 7, days - 1)]) + 3 * 3600
            for h in hampers.tolist():
                q = float(np.ceil(central_need[w, h]))
                mo = mos.add(name=f"CWH/MO/{len(mos) + 1:05d}", product_id=h + 1, product_qty=q, qty_producing=q,
                             product_uom_id=int(self.p_uom[h]), state="done", start=when, finished=when + 3600)
                comps = self.bom[h]
                add(comps, np.full(len(comps), q), self.wh_stock[0], self.loc_production, when + 1800,
                    ptype=self.ptype[(0, "MO")], origin=f"CWH/MO/{mo:05d}", raw_mo=mo)
                add(np.array([h]), np.array([q]), self.loc_production, self.wh_stock[0], when + 3600,
                    ptype=self.ptype[(0, "MO")], origin=f"CWH/MO/{mo:05d}", fin_mo=mo)
                central_need[w, comps] += q
                central_need[w, h] = 0
        # 5. purchases: weekly vendor bills + receipts covering the central warehouse needs
        opening_central = np.ceil(central_need.max(axis=0) * 1.2)
        buyable = ~self.p_hamper & (self.p_kind != "service")
        opening_central[~buyable | ~self.p_storable] = 0  # inventory adjustments exist for storable products
        prods = np.nonzero(opening_central > 0)[0]
        add(prods, opening_central[prods], self.loc_inventory, self.wh_stock[0], t0, inventory=True,
            name="Product Quantity Updated")
        purchase, purchase_zero = self.tax_id["purchase"], self.tax_id["purchase_zero"]
        for w in range(weeks):
            need = np.where(buyable, central_need[w], 0)
            for vendor in self.vendors.tolist():
                vp = np.nonzero((need > 0) & (self.p_vendor == vendor))[0]
                if not len(vp):
                    continue
                d = min(w * 7 + int(rng.integers(0, 2)), days - 1)
                items, receipt = [], []
                for prod in vp.tolist():
                    dozen = self.p_uom_po[prod] == 2
                    q = float(np.ceil(need[prod] / 12.0)) if dozen else float(np.ceil(need[prod]))
                    unit_cost = self.p_cost[prod] * (12 if dozen else 1) * rng.uniform(0.92, 1.05)
                    price = float(round(unit_cost, 0))
                    tax = purchase_zero if self.p_tax[prod] == self.tax_id["sale_zero"] else purchase
                    disc = float(rng.choice([0.0, 0.0, 0.0, 2.0, 5.0]))
                    excl, incl = tax_amounts(np.array([price * (1 - disc / 100) * q]), self.tax_rate[[tax]],
                                             self.tax_incl[[tax]])
                    uom = 2 if dozen else int(self.p_uom[prod])
                    items.append((prod, q, uom, price, disc, tax, float(excl[0]), float(incl[0])))
                    receipt.append((prod, q, uom))
                    if rng.random() < 0.04:  # free bonus goods
                        bq = float(rng.integers(1, 4))
                        items.append((prod, bq, uom, 0.0, 0.0, tax, 0.0, 0.0))
                        receipt.append((prod, bq, uom))
                r = rng.random()
                state = "posted" if r < 0.93 else "draft" if r < 0.97 else "cancel"
                mid = self.add_move("in_invoice", vendor, d, state, items, ref=f"SJ-{rng.integers(100000, 999999)}",
                                    origin=f"P{len(self.moves) + 1:05d}")
                if state == "cancel":
                    continue
                when = int(self.day0[d]) + 4 * 3600
                pk = picking(0, "IN", self.loc_supplier, self.wh_stock[0], when, origin=f"P{mid:05d}", partner=vendor)
                add(np.array([x[0] for x in receipt]), np.array([x[1] for x in receipt]), self.loc_supplier,
                    self.wh_stock[0], when, picking=pk, ptype=self.ptype[(0, "IN")], origin=f"P{mid:05d}",
                    uom=np.array([x[2] for x in receipt]))
                if state == "posted" and rng.random() < 0.05 and d + 2 < days:
                    # some units of the first line go back to the vendor: the return moves them and the vendor
                    # credit note refunds exactly those (same unit, price, discount and tax as the bill line)
                    rd = d + 2
                    prod, q, uom, price, disc, tax, _excl, _incl = items[0]
                    back_qty = float(min(q, rng.integers(1, max(1, int(np.ceil(q / 4))) + 1)))
                    excl, incl = tax_amounts(np.array([price * (1 - disc / 100) * back_qty]), self.tax_rate[[tax]],
                                             self.tax_incl[[tax]])
                    back = [(prod, back_qty, uom, price, disc, tax, float(excl[0]), float(incl[0]))]
                    self.add_move("in_refund", vendor, rd, "posted", back, reversed_of=mid)
                    rwhen = int(self.day0[rd]) + 10 * 3600
                    rpk = picking(0, "OUT", self.wh_stock[0], self.loc_supplier, rwhen, origin=f"Return of P{mid:05d}",
                                  partner=vendor)
                    add(np.array([prod]), np.array([back_qty]), self.wh_stock[0], self.loc_supplier, rwhen,
                        picking=rpk, ptype=self.ptype[(0, "OUT")], uom=np.array([uom]),
                        origin=f"Return of P{mid:05d}")
        # 6. monthly cycle counts (±) and weekly scrap at the stores
        for s in range(ns):
            stock = self.wh_stock[s + 1]
            stocked = np.nonzero((opening_store[s] > 2) & self.p_storable)[0]
            if not len(stocked):
                continue
            for d in range(14, days, 30):
                prods = rng.choice(stocked, min(25, len(stocked)), replace=False)
                delta = rng.choice([-2.0, -1.0, 1.0], len(prods))
                when = int(self.day0[d]) + 5 * 3600
                gain, loss = prods[delta > 0], prods[delta < 0]
                add(gain, delta[delta > 0], self.loc_inventory, stock, when, inventory=True,
                    name="Product Quantity Updated")
                add(loss, -delta[delta < 0], stock, self.loc_inventory, when, inventory=True,
                    name="Product Quantity Updated")
            for d in range(3, days, 7):
                prods = rng.choice(stocked, min(3, len(stocked)), replace=False)
                when = int(self.day0[d]) + 22 * 3600
                add(prods, np.ones(len(prods)), stock, self.loc_scrap, when, scrapped=True,
                    origin=[f"SP/{d:05d}"] * len(prods), name="Scrap")
        self._finish_stock(moves, pickings, mos)

    def _finish_stock(self, moves: dict[str, list[np.ndarray]], pickings: Rows, mos: Rows) -> None:
        rng = self.rng
        M = {k: np.concatenate(v) for k, v in moves.items()}
        n = len(M["product"])
        # pickings: ids by date
        pc = pickings.columns()
        npk = len(pickings)
        pk_order = np.lexsort((np.arange(npk), np.array(pc["date_done"], dtype=np.int64)))
        pk_new = np.empty(npk + 1, dtype=np.int64)
        pk_new[0] = 0
        pk_new[pk_order + 1] = np.arange(1, npk + 1)
        seq_counter: dict[tuple[int, str], int] = {}
        pk_names = [""] * npk
        for i in pk_order.tolist():
            k = (pc["wh"][i], pc["seq"][i])
            seq_counter[k] = seq_counter.get(k, 0) + 1
            pk_names[i] = f"{self.wh_codes[k[0]]}/{k[1]}/{seq_counter[k]:05d}"
        P = lambda key: [pc[key][i] for i in pk_order.tolist()]  # noqa: E731
        names_sorted = [pk_names[i] for i in pk_order.tolist()]
        done = np.array(P("date_done"), dtype=np.int64)
        self.b.add("stock.picking", npk, name=names_sorted, picking_type_id=P("picking_type_id"),
                   picking_type_code=[self.ptype_code[t] for t in P("picking_type_id")],
                   location_id=P("location_id"), location_dest_id=P("location_dest_id"), state="done",
                   scheduled_date=done - 3600, date_done=done, origin=P("origin"), partner_id=P("partner_id"),
                   company_id=1, pos_session_id=P("pos_session_id"), pos_order_id=P("pos_order_id"),
                   create_date=done - 3600, write_date=done)
        # moves: ids by date
        order = np.lexsort((np.arange(n), M["date"]))
        M = {k: v[order] for k, v in M.items()}
        picking = pk_new[M["picking"]]
        pk_name_arr = np.array([""] + names_sorted, dtype=object)
        reference = np.where(picking > 0, pk_name_arr[picking], M["name"])
        for i in np.nonzero((picking == 0) & (M["raw_mo"] + M["fin_mo"] > 0))[0].tolist():
            reference[i] = M["origin"][i]
        for i in np.nonzero(M["scrapped"])[0].tolist():
            reference[i] = M["origin"][i]
        origin = np.where(M["origin"] == "", None, M["origin"])
        origin = [o if o else False for o in origin.tolist()]
        qty_name = "quantity" if self.version >= 17 else "quantity_done"
        factor = np.array([1.0, 1.0, 12.0, 1.0, 0.001])[M["uom"]]  # product-UoM quantity per move-UoM unit
        # stock.move product_qty / stock.move.line quantity_product_uom: uom._compute_quantity(…, HALF-UP)
        prod_qty = round_qty(M["qty"] * factor, 0.01)
        create = M["date"] - rng.integers(60, 3600, n)
        move_names = StrCol(M["product"].astype(np.int32), self.p_names)
        self.b.add("stock.move", n, name=move_names, reference=list(reference), product_id=M["product"] + 1,
                   product_uom_qty=M["qty"], product_qty=prod_qty, **{qty_name: M["qty"]}, picked=True,
                   product_uom=M["uom"], location_id=M["src"], location_dest_id=M["dst"], picking_id=picking,
                   picking_type_id=M["ptype"], state="done", date=M["date"], origin=origin,
                   raw_material_production_id=M["raw_mo"], production_id=M["fin_mo"], scrapped=M["scrapped"],
                   is_inventory=M["inventory"], price_unit=self.p_cost[M["product"]], company_id=1,
                   create_date=create, write_date=M["date"])
        lot = self.lot_of[M["product"]]
        ml_qty = {"quantity": M["qty"], "picked": True, "quantity_product_uom": prod_qty} if self.version >= 17 \
            else {"qty_done": M["qty"], "reserved_uom_qty": np.zeros(n), "reserved_qty": np.zeros(n)}
        picking_code = [self.ptype_code[t] if t else False for t in M["ptype"].tolist()]
        self.b.add("stock.move.line", n, move_id=np.arange(1, n + 1), picking_id=picking, product_id=M["product"] + 1,
                   lot_id=lot, location_id=M["src"], location_dest_id=M["dst"], **ml_qty, product_uom_id=M["uom"],
                   state="done", date=M["date"], reference=list(reference), company_id=1, picking_code=picking_code,
                   display_name=list(reference), create_date=create, write_date=M["date"])
        # quants: Σ done move lines per (product, internal location, lot), in product UoM
        # (Odoo 16 _action_done / 17-18 _synchronize_quant: only storable products move quants)
        internal = self.loc_usage == "internal"
        storable = self.p_storable[M["product"]]
        into = internal[M["dst"]] & storable
        out = internal[M["src"]] & storable
        prod = np.concatenate([M["product"][into], M["product"][out]])
        loc = np.concatenate([M["dst"][into], M["src"][out]])
        signed = np.concatenate([prod_qty[into], -prod_qty[out]])
        when = np.concatenate([M["date"][into], M["date"][out]])
        key = (prod * 1000 + loc)
        uk, inv = np.unique(key, return_inverse=True)
        qty = round_qty(np.bincount(inv, weights=signed))
        last = np.full(len(uk), np.iinfo(np.int64).min)
        np.maximum.at(last, inv, when)
        first_in = np.full(len(uk), np.iinfo(np.int64).max)
        np.minimum.at(first_in, inv[: into.sum()], M["date"][into])
        first_in = np.where(first_in == np.iinfo(np.int64).max, last, first_in)
        q_prod, q_loc = uk // 1000, uk % 1000
        keep = qty != 0
        nq = int(keep.sum())
        reserved = np.where(rng.random(nq) < 0.03, np.minimum(np.maximum(qty[keep], 0), 2.0), 0.0)
        self.b.add("stock.quant", nq, product_id=q_prod[keep] + 1, location_id=q_loc[keep], lot_id=self.lot_of[q_prod[keep]],
                   company_id=1, quantity=qty[keep], reserved_quantity=reserved, inventory_quantity=np.zeros(nq),
                   in_date=first_in[keep], product_uom_id=self.p_uom[q_prod[keep]],
                   display_name=[self.p_names[p] for p in q_prod[keep].tolist()],
                   create_date=first_in[keep], write_date=last[keep])
        mc = mos.columns()
        nm = len(mos)
        dates = ({"date_start": np.array(mc.get("start", []), dtype=np.int64),
                  "date_finished": np.array(mc.get("finished", []), dtype=np.int64)} if self.version >= 17 else
                 {"date_planned_start": np.array(mc.get("start", []), dtype=np.int64),
                  "date_planned_finished": np.array(mc.get("finished", []), dtype=np.int64),
                  "date_finished": np.array(mc.get("finished", []), dtype=np.int64)})
        self.b.add("mrp.production", nm, name=mc.get("name", []), product_id=mc.get("product_id", []),
                   product_qty=mc.get("product_qty", []), qty_producing=mc.get("qty_producing", []),
                   product_uom_id=mc.get("product_uom_id", []), state="done", origin=False, company_id=1,
                   location_src_id=self.wh_stock[0], location_dest_id=self.wh_stock[0], **dates,
                   create_date=np.array(mc.get("start", []), dtype=np.int64) - 3600,
                   write_date=np.array(mc.get("finished", []), dtype=np.int64))
        self._finish_accounting()

    def _finish_accounting(self) -> None:
        """Account moves get ids and names in creation order; POS orders learn their invoice."""
        moves, lines = self.moves, self.move_lines
        nm = len(moves)
        created = np.array([m["created"] for m in moves], dtype=np.int64)
        order = np.lexsort((np.arange(nm), created))
        new_id = np.empty(nm + 1, dtype=np.int64)
        new_id[0] = 0
        new_id[order + 1] = np.arange(1, nm + 1)
        counters: dict[str, int] = {}
        names = [""] * nm
        for i in order.tolist():
            m = moves[i]
            if m["state"] == "draft":
                names[i] = "/"
                continue
            key, width = move_sequence(m["move_type"], self.day_dates[m["day"]])
            counters[key] = counters.get(key, 0) + 1
            names[i] = f"{key}/{counters[key]:0{width}d}"
        S = [moves[i] for i in order.tolist()]
        sname = [names[i] for i in order.tolist()]
        paid = [m["state"] == "posted" and (m["from_pos"] or self.rng.random() < 0.7) for m in S]
        display = [nm_ if nm_ != "/" else f"Draft {'Bill' if m['move_type'].startswith('in') else 'Invoice'} "
                   f"(* {k + 1})" for k, (nm_, m) in enumerate(zip(sname, S))]
        ref = [m["ref"] for m in S]
        for k, m in enumerate(S):
            if m["reversed_entry_id"]:
                ref[k] = f"Reversal of: {names[m['reversed_entry_id'] - 1]}"
        write = created[order] + np.where(np.array(paid), self.rng.integers(DAY, 20 * DAY, nm), 0)
        self.b.add("account.move", nm, name=sname, display_name=display, ref=ref,
                   move_type=[m["move_type"] for m in S], state=[m["state"] for m in S],
                   invoice_date=[m["invoice_date"] for m in S], date=[m["date"] for m in S],
                   partner_id=[m["partner_id"] for m in S], invoice_user_id=[m["invoice_user_id"] for m in S],
                   company_id=1, currency_id=[m["currency_id"] for m in S], journal_id=[m["journal_id"] for m in S],
                   amount_untaxed=[m["amount_untaxed"] for m in S], amount_tax=[m["amount_tax"] for m in S],
                   amount_total=[m["amount_total"] for m in S],
                   amount_residual=[0.0 if p or m["state"] != "posted" else m["amount_total"] for p, m in zip(paid, S)],
                   amount_untaxed_signed=[m["amount_untaxed_signed"] for m in S],
                   amount_total_signed=[m["amount_total_signed"] for m in S],
                   amount_tax_signed=[m["amount_tax_signed"] for m in S],
                   amount_total_in_currency_signed=[m["amount_total_in_currency_signed"] for m in S],
                   commercial_partner_id=[m["partner_id"] for m in S],  # the demo's partners have no parent
                   company_currency_id=self.currency_id,
                   payment_state=["paid" if p else "not_paid" for p in paid],
                   invoice_origin=[m["invoice_origin"] for m in S],
                   reversed_entry_id=[int(new_id[m["reversed_entry_id"]]) for m in S],
                   create_date=created[order], write_date=write)
        # lines follow their move
        nl = len(lines)
        l_move = new_id[np.array([ln["move"] for ln in lines], dtype=np.int64)]
        lo = np.lexsort((np.arange(nl), l_move))
        L = [lines[i] for i in lo.tolist()]
        lm = l_move[lo]
        mv = self.b.tables["account.move"].columns
        state_col, date_col, partner_col = mv["state"], mv["date"], mv["partner_id"]
        balance = np.array([ln.get("balance", 0.0) for ln in L])
        self.b.add("account.move.line", nl, move_id=lm, move_name=StrCol(mv["name"].codes[lm - 1], mv["name"].values),
                   name=[ln.get("name") or False for ln in L], product_id=[ln.get("product_id", 0) for ln in L],
                   quantity=[ln.get("quantity", 0.0) for ln in L], product_uom_id=[ln.get("product_uom_id", 0) for ln in L],
                   price_unit=[ln.get("price_unit", 0.0) for ln in L], discount=[ln.get("discount", 0.0) for ln in L],
                   price_subtotal=[ln.get("price_subtotal", 0.0) for ln in L],
                   price_total=[ln.get("price_total", 0.0) for ln in L], balance=balance,
                   debit=np.maximum(balance, 0), credit=np.maximum(-balance, 0),
                   amount_currency=[ln.get("amount_currency", ln.get("balance", 0.0)) for ln in L],
                   tax_ids=[ln.get("tax_ids", []) for ln in L], tax_line_id=[ln.get("tax_line_id", 0) for ln in L],
                   tax_repartition_line_id=[ln.get("tax_repartition_line_id", 0) for ln in L],
                   company_currency_id=self.currency_id,
                   display_type=[ln["display_type"] for ln in L], partner_id=partner_col[lm - 1], company_id=1,
                   currency_id=[ln.get("currency_id", self.currency_id) for ln in L],
                   parent_state=StrCol(state_col.codes[lm - 1], state_col.values),
                   date=date_col[lm - 1], create_date=created[order][lm - 1],
                   write_date=created[order][lm - 1])
        # POS orders → invoice link, then the pos.order table
        cols = self.pos_order_cols
        cols["account_move"] = new_id[self.pos_account_move]
        self.b.add("pos.order", self.pos["N"], **cols)

    def ir_model(self) -> None:
        modules = {"pos": "point_of_sale", "sto": "stock", "acc": "account", "pro": "product", "mrp": "mrp",
                   "hr.": "hr", "uom": "uom", "res": "base", "ir.": "base"}
        names = sorted(self.b.schema)
        self.b.add("ir.model", len(names), model=names, name=[self.b.schema[n].description for n in names],
                   state="base", transient=False,
                   modules=["product_brand" if n == "product.brand" else modules.get(n[:3], "base") for n in names],
                   create_date=self.setup_ts, write_date=self.setup_ts)


def generate(params: GenParams) -> Database:
    """Build the whole demo database for ``params``."""
    return Generator(params).run()
