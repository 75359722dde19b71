"""customer-payments: customers from a cursor-paginated API, payments from SQL, joined on
the customer id and loaded into two tables.

::

    customers -+-> validate-customers -> load-customers   (customers, upsert)
               |
    payments --+-> join -> transform -> validate-payments -> load-payments
                                                      (payments_daily, replace-partition)

The example of a pipeline written with the step library's keywords: what is the same in
every environment is here; what differs (the API's URL, the Secrets) is in
``customer_payments.yaml`` and ``customer_payments.<env>.yaml``.
"""

from workflows.library import extract_http, extract_sql, join, load, transform, validate

CUSTOMER = {"customer_id": "int64", "name": "string", "email": "string",
            "country": "string", "signup_date": "string", "updated_at": "string"}
PAYMENT = ["payment_id", "customer_id", "amount", "currency", "paid_at"]


def pipeline() -> None:
    customers = extract_http(
        "customers", records_path="data", schema=CUSTOMER,
        pagination={"style": "cursor", "cursor_param": "cursor",
                    "cursor_field": "next_cursor", "size_param": "limit", "page_size": 200})
    payments = extract_sql(
        "payments", columns=PAYMENT,
        query="SELECT payment_id, customer_id, amount, currency, paid_at FROM payments "
              "WHERE date(paid_at) = :logical_date")

    checked = validate(customers, name="validate-customers", reject_threshold=0.0, rules=[
        {"kind": "not_null", "column": "customer_id"},
        {"kind": "unique", "column": "customer_id"},
        {"kind": "regex", "column": "country", "pattern": "^[A-Z]{2}$"}])
    load(checked, name="load-customers", table="customers", mode="upsert",
         keys=["customer_id"])

    # every payment of the day, with its customer's name and country (null when the API
    # does not know the customer: a left join keeps the payment)
    enriched = join(payments, customers, on=["customer_id"], how="left")
    daily = transform(enriched, cast={"amount": "float64"},
                      select=["payment_id", "customer_id", "name", "country", "amount",
                              "currency", "paid_at"])
    valid = validate(daily, name="validate-payments", reject_threshold=0.05, rules=[
        {"kind": "not_null", "column": "payment_id"},
        {"kind": "unique", "column": "payment_id"},
        {"kind": "range", "column": "amount", "min": 0.01},
        {"kind": "max_null_ratio", "column": "name", "value": 0.05, "severity": "warn"}])
    load(valid, name="load-payments", table="payments_daily", mode="replace-partition")
