"""orders: the seed tutorial's pipeline, made real.

::

    extract-http -+
                  +-> clean -> transform -> validate -> load (vendas)
    extract-sql  -+

Orders from a paginated API and from a SQL table, unioned and deduplicated on ``id``
(the latest ``created_at`` wins), shaped by the transform spec, checked by the rules and
loaded into ``vendas`` by replacing the run's partition. Every setting is in
``orders.yaml`` (``steps:``, by step name); ``orders.<env>.yaml`` changes what differs
per environment, such as the API's URL.
"""

from workflows.library import extract_http, extract_sql, load, transform, union, validate


def pipeline() -> None:
    api = extract_http("extract-http")
    database = extract_sql("extract-sql")
    orders = union([api, database], name="clean")
    load(validate(transform(orders)))
