"""Model and field definitions per Odoo version (16, 17, 18).

Field names, types, relations and selections follow Odoo's own model sources
(``addons/point_of_sale``, ``addons/stock``, ``addons/account``, ``addons/product``,
``addons/mrp``, ``addons/pos_hr`` and OCA ``product_brand``).  Only the subset of
fields that NKDash (and a reasonable Odoo client) reads is declared; every model
also gets Odoo's magic fields (``id``, ``display_name``, ``create_date``, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

SUPPORTED_VERSIONS = (16, 17, 18)

Selection = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Field:
    """One field as ``fields_get`` describes it."""

    name: str
    type: str
    string: str
    relation: str | None = None
    relation_field: str | None = None
    selection: Selection | None = None
    required: bool = False
    readonly: bool = False
    store: bool = True
    # one2many only: extra filter on the comodel, e.g. invoice_line_ids
    domain: tuple[Any, ...] = ()

    def describe(self, attributes: list[str] | None) -> dict[str, Any]:
        """Return the ``fields_get`` description, restricted to ``attributes``."""
        desc: dict[str, Any] = {
            "type": self.type,
            "string": self.string,
            "name": self.name,
            "required": self.required,
            "readonly": self.readonly,
            "store": self.store,
            "searchable": True,
            "sortable": self.store and self.type not in ("one2many", "many2many"),
            "manual": False,
            "company_dependent": False,
            "help": "",
        }
        if self.relation:
            desc["relation"] = self.relation
            desc["context"] = {}
            desc["domain"] = list(self.domain)
        if self.relation_field:
            desc["relation_field"] = self.relation_field
        if self.selection is not None:
            desc["selection"] = [list(pair) for pair in self.selection]
        if attributes:
            return {k: v for k, v in desc.items() if k in attributes}
        return desc


@dataclass(frozen=True)
class ModelSpec:
    """A model: technical name, description, default order and fields by name."""

    name: str
    description: str
    order: str
    fields: dict[str, Field] = dc_field(default_factory=dict)
    rec_name: str = "name"


# ---------------------------------------------------------------- helpers
def char(name: str, string: str, **kw: Any) -> Field:
    return Field(name, "char", string, **kw)


def text(name: str, string: str, **kw: Any) -> Field:
    return Field(name, "text", string, **kw)


def integer(name: str, string: str, **kw: Any) -> Field:
    return Field(name, "integer", string, **kw)


def flt(name: str, string: str, **kw: Any) -> Field:
    return Field(name, "float", string, **kw)


def money(name: str, string: str, **kw: Any) -> Field:
    return Field(name, "monetary", string, **kw)


def boolean(name: str, string: str, **kw: Any) -> Field:
    return Field(name, "boolean", string, **kw)


def date(name: str, string: str, **kw: Any) -> Field:
    return Field(name, "date", string, **kw)


def dtime(name: str, string: str, **kw: Any) -> Field:
    return Field(name, "datetime", string, **kw)


def sel(name: str, string: str, selection: Selection, **kw: Any) -> Field:
    return Field(name, "selection", string, selection=selection, **kw)


def m2o(name: str, relation: str, string: str, **kw: Any) -> Field:
    return Field(name, "many2one", string, relation=relation, **kw)


def o2m(name: str, relation: str, inverse: str, string: str, **kw: Any) -> Field:
    return Field(name, "one2many", string, relation=relation, relation_field=inverse, **kw)


def m2m(name: str, relation: str, string: str, **kw: Any) -> Field:
    return Field(name, "many2many", string, relation=relation, **kw)


# ---------------------------------------------------------------- selections
MOVE_STATE: Selection = (("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled"))
MOVE_TYPE: Selection = (
    ("entry", "Journal Entry"), ("out_invoice", "Customer Invoice"),
    ("out_refund", "Customer Credit Note"), ("in_invoice", "Vendor Bill"),
    ("in_refund", "Vendor Credit Note"), ("out_receipt", "Sales Receipt"),
    ("in_receipt", "Purchase Receipt"),
)
STOCK_MOVE_STATE: Selection = (
    ("draft", "New"), ("waiting", "Waiting Another Move"), ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"), ("assigned", "Available"),
    ("done", "Done"), ("cancel", "Cancelled"),
)
PICKING_STATE: Selection = (
    ("draft", "Draft"), ("waiting", "Waiting Another Operation"), ("confirmed", "Waiting"),
    ("assigned", "Ready"), ("done", "Done"), ("cancel", "Cancelled"),
)
LOCATION_USAGE: Selection = (
    ("supplier", "Vendor Location"), ("view", "View"), ("internal", "Internal Location"),
    ("customer", "Customer Location"), ("inventory", "Inventory Loss"),
    ("production", "Production"), ("transit", "Transit Location"),
)
PICKING_CODE: Selection = (
    ("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer"),
    ("mrp_operation", "Manufacturing"),
)
TYPE_16: Selection = (("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product"))
TYPE_18: Selection = (("consu", "Goods"), ("service", "Service"), ("combo", "Combo"))
TRACKING: Selection = (("serial", "By Unique Serial Number"), ("lot", "By Lots"), ("none", "No Tracking"))
POS_ORDER_STATE: Selection = (
    ("draft", "New"), ("cancel", "Cancelled"), ("paid", "Paid"), ("done", "Posted"),
    ("invoiced", "Invoiced"),
)
POS_SESSION_STATE: Selection = (
    ("opening_control", "Opening Control"), ("opened", "In Progress"),
    ("closing_control", "Closing Control"), ("closed", "Closed & Posted"),
)
MRP_STATE: Selection = (
    ("draft", "Draft"), ("confirmed", "Confirmed"), ("progress", "In Progress"),
    ("to_close", "To Close"), ("done", "Done"), ("cancel", "Cancelled"),
)


def _display_types(version: int) -> Selection:
    base = [("product", "Product"), ("cogs", "Cost of Goods Sold"), ("tax", "Tax")]
    if version >= 17:
        base.append(("discount", "Discount"))
    base += [("rounding", "Rounding"), ("payment_term", "Payment Term"),
             ("line_section", "Section"), ("line_note", "Note"), ("epd", "Early Payment Discount")]
    return tuple(base)


# ---------------------------------------------------------------- models
def _product_common(version: int) -> list[Field]:
    fields = [
        char("name", "Name", required=True),
        char("default_code", "Internal Reference"),
        char("barcode", "Barcode"),
        m2o("categ_id", "product.category", "Product Category", required=True),
        m2o("uom_id", "uom.uom", "Unit of Measure", required=True),
        m2o("uom_po_id", "uom.uom", "Purchase Unit of Measure", required=True),
        flt("list_price", "Sales Price"),
        flt("standard_price", "Cost", store=False),
        boolean("active", "Active"),
        boolean("sale_ok", "Can be Sold"),
        boolean("purchase_ok", "Can be Purchased"),
        boolean("available_in_pos", "Available in POS"),
        sel("tracking", "Tracking", TRACKING, required=True),
        m2m("taxes_id", "account.tax", "Customer Taxes"),
        m2m("supplier_taxes_id", "account.tax", "Vendor Taxes"),
        m2o("product_brand_id", "product.brand", "Brand"),
        m2o("company_id", "res.company", "Company"),
    ]
    if version >= 18:
        fields += [sel("type", "Product Type", TYPE_18, required=True),
                   boolean("is_storable", "Track Inventory")]
    else:
        fields += [sel("type", "Type", TYPE_16, required=True, store=True, readonly=True),
                   sel("detailed_type", "Product Type", TYPE_16, required=True)]
    return fields


def _specs(version: int) -> list[tuple[str, str, str, list[Field]]]:
    """(model, description, _order, fields) for ``version``."""
    v = version
    tax_fields = [
        char("name", "Tax Name", required=True),
        flt("amount", "Amount", required=True),
        sel("amount_type", "Tax Computation", (("group", "Group of Taxes"), ("fixed", "Fixed"),
                                               ("percent", "Percentage of Price"),
                                               ("division", "Percentage of Price Tax Included")),
            required=True),
        sel("type_tax_use", "Tax Type", (("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")),
            required=True),
        m2o("company_id", "res.company", "Company", required=True),
        boolean("active", "Active"),
        m2m("children_tax_ids", "account.tax", "Children Taxes"),
        boolean("include_base_amount", "Affect Base of Subsequent Taxes"),
        char("description", "Label on Invoices" if v < 18 else "Description"),
        integer("sequence", "Sequence", required=True),
    ]
    if v >= 18:
        tax_fields += [
            boolean("price_include", "Price Include", store=False, readonly=True),
            sel("price_include_override", "Included in Price",
                (("tax_included", "Tax Included"), ("tax_excluded", "Tax Excluded"))),
        ]
    else:
        tax_fields.append(boolean("price_include", "Included in Price"))

    # tax distribution lines: Odoo 16 links them through invoice_tax_id / refund_tax_id (tax_id and document_type
    # computed), 17+ stores tax_id and document_type
    document_type = sel("document_type", "Related to", (("invoice", "Invoice"), ("refund", "Refund")),
                        required=v >= 17, store=v >= 17)
    repartition_fields = [
        flt("factor_percent", "%", required=True), flt("factor", "Factor Ratio", store=False),
        sel("repartition_type", "Based On", (("base", "Base"), ("tax", "of tax")), required=True),
        m2o("tax_id", "account.tax", "Tax", store=v >= 17), document_type,
        m2o("company_id", "res.company", "Company"), integer("sequence", "Sequence"),
        boolean("use_in_tax_closing", "Tax Closing Entry"),
    ]
    if v == 16:
        repartition_fields += [m2o("invoice_tax_id", "account.tax", "Invoice Tax"),
                               m2o("refund_tax_id", "account.tax", "Refund Tax")]
        tax_fields += [
            o2m("invoice_repartition_line_ids", "account.tax.repartition.line", "invoice_tax_id",
                "Distribution for Invoices"),
            o2m("refund_repartition_line_ids", "account.tax.repartition.line", "refund_tax_id",
                "Distribution for Refund Invoices"),
        ]
    else:
        tax_fields += [
            o2m("invoice_repartition_line_ids", "account.tax.repartition.line", "tax_id", "Distribution for Invoices",
                domain=(("document_type", "=", "invoice"),)),
            o2m("refund_repartition_line_ids", "account.tax.repartition.line", "tax_id",
                "Distribution for Refund Invoices", domain=(("document_type", "=", "refund"),)),
            o2m("repartition_line_ids", "account.tax.repartition.line", "tax_id", "Distribution"),
        ]

    stock_move_qty = ([flt("quantity", "Quantity"), boolean("picked", "Picked")] if v >= 17
                      else [flt("quantity_done", "Quantity Done", store=False)])
    move_line_qty = ([flt("quantity", "Quantity"), boolean("picked", "Picked"),
                      flt("quantity_product_uom", "Quantity in Product UoM", readonly=True)] if v >= 17
                     else [flt("qty_done", "Done"), flt("reserved_uom_qty", "Reserved", required=True),
                           flt("reserved_qty", "Real Reserved Quantity", readonly=True)])
    mrp_dates = ([dtime("date_start", "Start"), dtime("date_finished", "End")] if v >= 17
                 else [dtime("date_planned_start", "Scheduled Date", required=True),
                       dtime("date_planned_finished", "Scheduled End Date"),
                       dtime("date_finished", "End Date", readonly=True)])
    refund_link = ([m2o("refunded_order_id", "pos.order", "Refunded Order", store=False, readonly=True)]
                   if v >= 18 else
                   [m2m("refunded_order_ids", "pos.order", "Refunded Order", store=False, readonly=True),
                    integer("refunded_orders_count", "Refunded Orders Count", store=False, readonly=True)])

    return [
        ("ir.model", "Models", "model", [
            char("model", "Model", required=True), char("name", "Model Description", required=True),
            sel("state", "Type", (("manual", "Custom Object"), ("base", "Base Object"))),
            boolean("transient", "Transient Model"), char("modules", "In Apps", store=False),
        ]),
        ("res.currency", "Currency", "active desc, name", [
            char("name", "Currency", required=True), char("symbol", "Symbol", required=True),
            flt("rounding", "Rounding Factor"), integer("decimal_places", "Decimal Places", store=False),
            boolean("active", "Active"), char("currency_unit_label", "Currency Unit"),
            o2m("rate_ids", "res.currency.rate", "currency_id", "Rates"),
        ]),
        ("res.currency.rate", "Currency Rate", "name desc", [
            date("name", "Date", required=True),
            flt("rate", "Technical Rate"),
            flt("company_rate", "Company Rate", store=False),
            flt("inverse_company_rate", "Inverse Company Rate", store=False),
            m2o("currency_id", "res.currency", "Currency", required=True, readonly=True),
            m2o("company_id", "res.company", "Company"),
        ]),
        ("res.company", "Companies", "sequence, name", [
            char("name", "Company Name", required=True),
            m2o("currency_id", "res.currency", "Currency", required=True),
            m2o("partner_id", "res.partner", "Partner", required=True),
            integer("sequence", "Sequence"),
            boolean("anglo_saxon_accounting", "Use anglo-saxon accounting"),
            sel("point_of_sale_update_stock_quantities", "Update quantities in stock",
                (("closing", "At the session closing (faster)"), ("real", "In real time (accurate but slower)"))),
        ]),
        ("res.partner", "Contact", "complete_name ASC, id DESC", [
            char("name", "Name"), char("complete_name", "Complete Name"), char("ref", "Reference"),
            boolean("is_company", "Is a Company"), integer("customer_rank", "Customer Rank"),
            integer("supplier_rank", "Supplier Rank"), char("city", "City"), char("email", "Email"),
            char("phone", "Phone"), boolean("active", "Active"),
            m2o("company_id", "res.company", "Company"), m2o("parent_id", "res.partner", "Related Company"),
            sel("type", "Address Type", (("contact", "Contact"), ("invoice", "Invoice Address"),
                                         ("delivery", "Delivery Address"), ("other", "Other Address"))),
        ]),
        ("res.users", "User", "name, login", [
            char("name", "Name"), char("login", "Login", required=True), boolean("active", "Active"),
            m2o("company_id", "res.company", "Company", required=True),
            m2o("partner_id", "res.partner", "Related Partner", required=True),
            m2m("company_ids", "res.company", "Companies"), char("tz", "Timezone"),
            boolean("share", "Share User", readonly=True),
        ]),
        ("hr.employee", "Employee", "name", [
            char("name", "Employee Name"), boolean("active", "Active"),
            m2o("company_id", "res.company", "Company", required=True),
            m2o("user_id", "res.users", "User"), char("job_title", "Job Title"),
            char("barcode", "Badge ID"),
        ]),
        ("uom.category", "Product UoM Categories", "id", [char("name", "Unit of Measure Category", required=True)]),
        ("uom.uom", "Product Unit of Measure", "factor DESC, id", [
            char("name", "Unit of Measure", required=True),
            m2o("category_id", "uom.category", "Category", required=True),
            flt("factor", "Ratio", required=True), flt("factor_inv", "Bigger Ratio", readonly=True),
            sel("uom_type", "Type", (("bigger", "Bigger than the reference Unit of Measure"),
                                     ("reference", "Reference Unit of Measure for this category"),
                                     ("smaller", "Smaller than the reference Unit of Measure")),
                required=True),
            flt("rounding", "Rounding Precision", required=True), boolean("active", "Active"),
        ]),
        ("product.category", "Product Category", "complete_name", [
            char("name", "Name", required=True), char("complete_name", "Complete Name"),
            m2o("parent_id", "product.category", "Parent Category"), char("parent_path", "Parent Path"),
            o2m("child_id", "product.category", "parent_id", "Child Categories"),
        ]),
        ("product.brand", "Product Brand", "name", [
            char("name", "Brand Name", required=True), text("description", "Description"),
            m2o("partner_id", "res.partner", "Partner"),
        ]),
        ("product.template", "Product", "name", _product_common(v) + [
            o2m("product_variant_ids", "product.product", "product_tmpl_id", "Products"),
            integer("product_variant_count", "# Product Variants", store=False),
        ]),
        ("product.product", "Product Variant", "default_code, name, id", _product_common(v) + [
            m2o("product_tmpl_id", "product.template", "Product Template", required=True),
            flt("lst_price", "Sales Price", store=False),
        ]),
        ("account.journal", "Journal", "sequence, type, code", [
            char("name", "Journal Name", required=True), char("code", "Short Code", required=True),
            sel("type", "Type", (("sale", "Sales"), ("purchase", "Purchase"), ("cash", "Cash"),
                                 ("bank", "Bank"), ("general", "Miscellaneous")), required=True),
            m2o("company_id", "res.company", "Company", required=True), boolean("active", "Active"),
        ]),
        ("account.tax", "Tax", "sequence,id", tax_fields),
        ("account.tax.repartition.line", "Tax Repartition Line",
         "document_type, repartition_type, sequence, id" if v >= 17 else "sequence, repartition_type, id",
         repartition_fields),
        ("stock.warehouse", "Warehouse", "sequence,id", [
            char("name", "Warehouse", required=True), char("code", "Short Name", required=True),
            m2o("company_id", "res.company", "Company", required=True),
            m2o("view_location_id", "stock.location", "View Location", required=True),
            m2o("lot_stock_id", "stock.location", "Location Stock", required=True),
            boolean("active", "Active"),
        ]),
        ("stock.location", "Inventory Locations", "complete_name, id", [
            char("name", "Location Name", required=True), char("complete_name", "Full Location Name"),
            sel("usage", "Location Type", LOCATION_USAGE, required=True),
            m2o("location_id", "stock.location", "Parent Location"),
            m2o("company_id", "res.company", "Company"), boolean("active", "Active"),
            m2o("warehouse_id", "stock.warehouse", "Warehouse", store=False),
            boolean("scrap_location", "Is a Scrap Location?"), char("barcode", "Barcode"),
        ]),
        ("stock.picking.type", "Picking Type", "sequence, id", [
            char("name", "Operation Type", required=True), sel("code", "Type of Operation", PICKING_CODE,
                                                                required=True),
            m2o("warehouse_id", "stock.warehouse", "Warehouse"), char("sequence_code", "Sequence Prefix"),
            m2o("default_location_src_id", "stock.location", "Default Source Location"),
            m2o("default_location_dest_id", "stock.location", "Default Destination Location"),
            m2o("company_id", "res.company", "Company", required=True), boolean("active", "Active"),
        ]),
        ("stock.picking", "Transfer", "scheduled_date asc, id desc", [
            char("name", "Reference"), m2o("picking_type_id", "stock.picking.type", "Operation Type",
                                           required=True),
            sel("picking_type_code", "Type of Operation", PICKING_CODE, store=False, readonly=True),
            m2o("location_id", "stock.location", "Source Location", required=True),
            m2o("location_dest_id", "stock.location", "Destination Location", required=True),
            sel("state", "Status", PICKING_STATE), dtime("scheduled_date", "Scheduled Date"),
            dtime("date_done", "Date of Transfer"), char("origin", "Source Document"),
            m2o("partner_id", "res.partner", "Contact"), m2o("company_id", "res.company", "Company"),
            o2m("move_ids", "stock.move", "picking_id", "Stock Moves"),
            o2m("move_line_ids", "stock.move.line", "picking_id", "Operations"),
            m2o("pos_session_id", "pos.session", "PoS Session"), m2o("pos_order_id", "pos.order", "POS Order"),
        ]),
        ("stock.lot", "Lot/Serial", "name, id", [
            char("name", "Lot/Serial Number", required=True),
            m2o("product_id", "product.product", "Product", required=True),
            m2o("company_id", "res.company", "Company", required=True), char("ref", "Internal Reference"),
        ]),
        ("stock.move", "Stock Move", "sequence, id", [
            char("name", "Description", required=True), char("reference", "Reference"),
            m2o("product_id", "product.product", "Product", required=True),
            flt("product_uom_qty", "Demand", required=True), flt("product_qty", "Real Quantity",
                                                                  readonly=True),
            *stock_move_qty,
            m2o("product_uom", "uom.uom", "UoM", required=True),
            m2o("location_id", "stock.location", "Source Location", required=True),
            m2o("location_dest_id", "stock.location", "Destination Location", required=True),
            m2o("picking_id", "stock.picking", "Transfer"),
            m2o("picking_type_id", "stock.picking.type", "Operation Type"),
            sel("state", "Status", STOCK_MOVE_STATE, readonly=True), dtime("date", "Date Scheduled"),
            char("origin", "Source Document"), m2o("partner_id", "res.partner", "Destination Address"),
            m2o("raw_material_production_id", "mrp.production", "Production Order for components"),
            m2o("production_id", "mrp.production", "Production Order for finished products"),
            boolean("scrapped", "Scrapped", readonly=True), boolean("is_inventory", "Inventory"),
            flt("price_unit", "Unit Price"), m2o("company_id", "res.company", "Company", required=True),
            o2m("move_line_ids", "stock.move.line", "move_id", "Move Lines"),
        ]),
        ("stock.move.line", "Product Moves (Stock Move Line)", "id", [
            m2o("move_id", "stock.move", "Stock Operation"), m2o("picking_id", "stock.picking", "Transfer"),
            m2o("product_id", "product.product", "Product"), m2o("lot_id", "stock.lot", "Lot/Serial Number"),
            m2o("location_id", "stock.location", "From", required=True),
            m2o("location_dest_id", "stock.location", "To", required=True),
            *move_line_qty,
            m2o("product_uom_id", "uom.uom", "Unit of Measure", required=True),
            sel("state", "Status", STOCK_MOVE_STATE, store=True, readonly=True),
            dtime("date", "Date", required=True), char("reference", "Reference", readonly=True),
            m2o("company_id", "res.company", "Company", required=True),
            sel("picking_code", "Type of Operation", PICKING_CODE, store=False, readonly=True),
        ]),
        ("stock.quant", "Quants", "id", [
            m2o("product_id", "product.product", "Product", required=True),
            m2o("location_id", "stock.location", "Location", required=True),
            m2o("lot_id", "stock.lot", "Lot/Serial Number"), m2o("company_id", "res.company", "Company"),
            flt("quantity", "Quantity", readonly=True), flt("reserved_quantity", "Reserved Quantity",
                                                              required=True),
            flt("inventory_quantity", "Counted Quantity"), dtime("in_date", "Incoming Date",
                                                                   required=True),
            m2o("product_uom_id", "uom.uom", "Unit of Measure", store=False, readonly=True),
        ]),
        ("mrp.production", "Production Order", "date_start asc,id" if v >= 17
         else "date_planned_start asc,id", [
            char("name", "Reference", required=True), m2o("product_id", "product.product", "Product",
                                                          required=True),
            flt("product_qty", "Quantity To Produce", required=True),
            flt("qty_producing", "Quantity Producing"),
            m2o("product_uom_id", "uom.uom", "Product Unit of Measure", required=True),
            sel("state", "State", MRP_STATE), *mrp_dates, char("origin", "Source"),
            m2o("company_id", "res.company", "Company", required=True),
            m2o("location_src_id", "stock.location", "Components Location", required=True),
            m2o("location_dest_id", "stock.location", "Finished Products Location", required=True),
            o2m("move_raw_ids", "stock.move", "raw_material_production_id", "Components"),
            o2m("move_finished_ids", "stock.move", "production_id", "Finished Products"),
        ]),
        ("pos.payment.method", "Point of Sale Payment Methods", "id asc" if v < 17 else "sequence, id", [
            char("name", "Method", required=True), boolean("is_cash_count", "Cash"),
            m2o("journal_id", "account.journal", "Journal"), boolean("active", "Active"),
            m2o("company_id", "res.company", "Company"), boolean("split_transactions",
                                                                 "Identify Customer"),
        ]),
        ("pos.config", "Point of Sale Configuration", "id", [
            char("name", "Point of Sale", required=True),
            m2o("company_id", "res.company", "Company", required=True), boolean("active", "Active"),
            boolean("module_pos_hr", "Employee Login"),
            m2o("picking_type_id", "stock.picking.type", "Operation Type"),
            m2m("payment_method_ids", "pos.payment.method", "Payment Methods"),
            m2o("currency_id", "res.currency", "Currency", store=False, readonly=True),
            m2m("basic_employee_ids", "hr.employee", "Employees with basic access"),
        ]),
        ("pos.session", "Point of Sale Session", "id desc", [
            char("name", "Session ID", required=True, readonly=True),
            m2o("config_id", "pos.config", "Point of Sale", required=True),
            m2o("user_id", "res.users", "Opened By", required=True),
            dtime("start_at", "Opening Date", readonly=True), dtime("stop_at", "Closing Date",
                                                                   readonly=True),
            sel("state", "Status", POS_SESSION_STATE, required=True, readonly=True),
            m2o("company_id", "res.company", "Company", readonly=True),
            m2o("currency_id", "res.currency", "Currency", store=False, readonly=True),
            boolean("update_stock_at_closing", "Stock should be updated at closing"),
            o2m("order_ids", "pos.order", "session_id", "Orders"),
        ]),
        ("pos.order", "Point of Sale Orders", "date_order desc, name desc, id desc", [
            char("name", "Order Ref", required=True, readonly=True),
            char("pos_reference", "Receipt Number", readonly=True),
            dtime("date_order", "Date", readonly=True),
            sel("state", "Status", POS_ORDER_STATE, readonly=True),
            m2o("session_id", "pos.session", "Session", required=True, readonly=True),
            m2o("config_id", "pos.config", "Point of Sale", readonly=True),
            m2o("partner_id", "res.partner", "Customer"),
            m2o("user_id", "res.users", "Responsible"),
            m2o("employee_id", "hr.employee", "Cashier"),
            char("cashier", "Cashier", store=False, readonly=True),
            m2o("company_id", "res.company", "Company", required=True, readonly=True),
            m2o("currency_id", "res.currency", "Currency", store=False, readonly=True),
            flt("amount_total", "Total", required=True, readonly=True),
            flt("amount_tax", "Taxes", required=True, readonly=True),
            flt("amount_paid", "Paid", required=True, readonly=True),
            flt("amount_return", "Returned", required=True, readonly=True),
            o2m("lines", "pos.order.line", "order_id", "Order Lines"),
            o2m("payment_ids", "pos.payment", "pos_order_id", "Payments"),
            m2o("account_move", "account.move", "Invoice", readonly=True),
            boolean("is_invoiced", "Is Invoiced", store=False, readonly=True),
            boolean("to_invoice", "To invoice"),
            boolean("is_refunded", "Is Refunded", store=False, readonly=True),
            integer("refund_orders_count", "Number of Refund Orders", store=False, readonly=True),
            *refund_link,
            o2m("picking_ids", "stock.picking", "pos_order_id", "Pickings"),
        ]),
        ("pos.order.line", "Point of Sale Order Lines", "id", [
            char("name", "Line No", required=True), m2o("order_id", "pos.order", "Order Ref",
                                                        required=True),
            m2o("product_id", "product.product", "Product", required=True),
            char("full_product_name", "Full Product Name"),
            flt("qty", "Quantity"), flt("price_unit", "Unit Price"), flt("discount", "Discount (%)"),
            flt("price_subtotal", "Subtotal w/o Tax", required=True, readonly=True),
            flt("price_subtotal_incl", "Subtotal", required=True, readonly=True),
            flt("total_cost", "Total cost", readonly=True),
            m2m("tax_ids", "account.tax", "Taxes", readonly=True),
            m2m("tax_ids_after_fiscal_position", "account.tax", "Taxes to Apply", store=False),
            m2o("product_uom_id", "uom.uom", "Product UoM", store=False, readonly=True),
            m2o("refunded_orderline_id", "pos.order.line", "Refunded Order Line"),
            o2m("refund_orderline_ids", "pos.order.line", "refunded_orderline_id", "Refund Order Lines"),
            flt("refunded_qty", "Refunded Quantity", store=False, readonly=True),
            m2o("company_id", "res.company", "Company", readonly=True),
            m2o("currency_id", "res.currency", "Currency", store=False, readonly=True),
        ]),
        ("pos.payment", "Point of Sale Payments", "id desc", [
            char("name", "Label", readonly=True),
            m2o("pos_order_id", "pos.order", "Order", required=True),
            m2o("payment_method_id", "pos.payment.method", "Payment Method", required=True),
            money("amount", "Amount", required=True, readonly=True),
            dtime("payment_date", "Date", required=True, readonly=True),
            m2o("session_id", "pos.session", "Session", readonly=True),
            m2o("company_id", "res.company", "Company", readonly=True),
            m2o("currency_id", "res.currency", "Currency", store=False, readonly=True),
            boolean("is_change", "Is this payment change?", readonly=True),
        ]),
        ("account.move", "Journal Entry", "date desc, name desc, invoice_date desc, id desc" if v >= 17
         else "date desc, name desc, id desc", [
            char("name", "Number", readonly=True), char("ref", "Reference"),
            sel("move_type", "Type", MOVE_TYPE, required=True, readonly=True),
            sel("state", "Status", MOVE_STATE, required=True, readonly=True),
            date("invoice_date", "Invoice/Bill Date"), date("date", "Date", required=True),
            m2o("partner_id", "res.partner", "Partner"),
            m2o("invoice_user_id", "res.users", "Salesperson"),
            m2o("company_id", "res.company", "Company", readonly=True),
            m2o("currency_id", "res.currency", "Currency", required=True),
            m2o("journal_id", "account.journal", "Journal", required=True),
            money("amount_untaxed", "Untaxed Amount", readonly=True),
            money("amount_tax", "Tax", readonly=True),
            money("amount_total", "Total", readonly=True),
            money("amount_residual", "Amount Due", readonly=True),
            money("amount_untaxed_signed", "Untaxed Amount Signed", readonly=True),
            money("amount_tax_signed", "Tax Signed", readonly=True),
            money("amount_total_signed", "Total Signed", readonly=True),
            money("amount_total_in_currency_signed", "Total in Currency Signed", readonly=True),
            m2o("commercial_partner_id", "res.partner", "Commercial Entity", readonly=True),
            m2o("company_currency_id", "res.currency", "Company Currency", store=False, readonly=True),
            sel("payment_state", "Payment Status", (("not_paid", "Not Paid"), ("in_payment", "In Payment"),
                                                     ("paid", "Paid"), ("partial", "Partially Paid"),
                                                     ("reversed", "Reversed"),
                                                     ("invoicing_legacy", "Invoicing App Legacy")),
                readonly=True),
            o2m("pos_order_ids", "pos.order", "account_move", "Pos Order"),
            char("invoice_origin", "Origin", readonly=True),
            m2o("reversed_entry_id", "account.move", "Reversal of", readonly=True),
            o2m("line_ids", "account.move.line", "move_id", "Journal Items"),
            o2m("invoice_line_ids", "account.move.line", "move_id", "Invoice lines",
                domain=(("display_type", "in", ("product", "line_section", "line_note")),)),
        ]),
        ("account.move.line", "Journal Item", "date desc, move_name desc, id", [
            m2o("move_id", "account.move", "Journal Entry", required=True, readonly=True),
            char("move_name", "Number", readonly=True), char("name", "Label"),
            m2o("product_id", "product.product", "Product"), flt("quantity", "Quantity"),
            m2o("product_uom_id", "uom.uom", "Unit of Measure"), flt("price_unit", "Unit Price"),
            flt("discount", "Discount (%)"), money("price_subtotal", "Subtotal", readonly=True),
            money("price_total", "Total", readonly=True), money("balance", "Balance"),
            money("debit", "Debit"), money("credit", "Credit"),
            money("amount_currency", "Amount in Currency"),
            m2m("tax_ids", "account.tax", "Taxes"), m2o("tax_line_id", "account.tax", "Originator Tax",
                                                        readonly=True),
            m2o("tax_repartition_line_id", "account.tax.repartition.line", "Originator Tax Distribution Line",
                readonly=True),
            sel("display_type", "Display Type", _display_types(v), required=True),
            m2o("partner_id", "res.partner", "Partner"), m2o("company_id", "res.company", "Company",
                                                               readonly=True),
            m2o("currency_id", "res.currency", "Currency", required=True),
            m2o("company_currency_id", "res.currency", "Company Currency", readonly=True),
            sel("parent_state", "Status", MOVE_STATE, readonly=True),
            date("date", "Date", readonly=True),
        ]),
    ]


def _magic(version: int) -> list[Field]:
    fields = [
        integer("id", "ID", readonly=True),
        char("display_name", "Display Name", store=False, readonly=True),
        dtime("create_date", "Created on", readonly=True),
        m2o("create_uid", "res.users", "Created by", readonly=True),
        dtime("write_date", "Last Updated on", readonly=True),
        m2o("write_uid", "res.users", "Last Updated by", readonly=True),
    ]
    if version == 16:
        fields.append(dtime("__last_update", "Last Modified on", store=False, readonly=True))
    return fields


def build_schema(version: int) -> dict[str, ModelSpec]:
    """All models of the demo database for Odoo ``version``."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"unsupported Odoo version {version}; use one of {SUPPORTED_VERSIONS}")
    models: dict[str, ModelSpec] = {}
    for name, description, order, fields in _specs(version):
        by_name = {f.name: f for f in fields}
        for f in _magic(version):
            by_name.setdefault(f.name, f)
        rec_name = "complete_name" if name in ("product.category", "stock.location") else "name"
        if name == "ir.model":
            rec_name = "name"
        models[name] = ModelSpec(name, description, order, by_name, rec_name)
    return models
