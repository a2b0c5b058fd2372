"""Examples for the OpenAPI document, keyed by the schema they illustrate.

The payment examples are the source document's (Harvest v1 "Invoice Payments"), plus the
`updated-at` this service adds; the invoice ones are the README's curl session's. The JSON
examples are derived from these, so each example exists once.
"""

PAYMENT = """<payment>
  <amount type="decimal">52000.0</amount>
  <created-at type="datetime">2008-03-13T11:29:18Z</created-at>
  <id type="integer">54664</id>
  <invoice-id type="integer">2393</invoice-id>
  <notes>Finally.</notes>
  <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>
  <recorded-by>Happy Owner</recorded-by>
  <recorded-by-email>happy@owner.com</recorded-by-email>
  <updated-at type="datetime">2008-03-13T11:29:18Z</updated-at>
</payment>"""

PAYMENTS = """<payments type="array">
  <payment>
    <amount type="decimal">1238.0</amount>
    <created-at type="datetime">2008-02-14T19:36:52Z</created-at>
    <id type="integer">1334</id>
    <invoice-id type="integer">4393</invoice-id>
    <notes>check</notes>
    <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>
    <recorded-by>Happy Owner</recorded-by>
    <recorded-by-email>happy@owner.com</recorded-by-email>
    <updated-at type="datetime">2008-02-14T19:36:52Z</updated-at>
  </payment>
</payments>"""

PAYMENT_CREATE = """<payment>
  <!-- required -->
  <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>
  <!-- required -->
  <amount type="decimal">52000.0</amount>
  <notes>Some optional notes go here</notes>
</payment>"""

INVOICE = """<invoice>
  <id type="integer">2393</id>
  <client-id type="integer">11</client-id>
  <number>2008-001</number>
  <currency>USD</currency>
  <amount type="decimal">60000.0</amount>
  <due-amount type="decimal">8000.0</due-amount>
  <state>partial</state>
  <issued-at type="date">2008-02-06</issued-at>
  <due-at type="date">2008-03-06</due-at>
  <subject>Services</subject>
  <notes>Thanks</notes>
  <purchase-order nil="true"></purchase-order>
  <period-start type="date" nil="true"></period-start>
  <period-end type="date" nil="true"></period-end>
  <sent-at type="datetime">2008-02-06T10:00:00Z</sent-at>
  <closed-at type="datetime" nil="true"></closed-at>
  <created-at type="datetime">2008-02-06T09:58:12Z</created-at>
  <updated-at type="datetime">2008-03-13T11:29:18Z</updated-at>
</invoice>"""

INVOICE_CREATE = """<invoice>
  <client-id type="integer">11</client-id>
  <number>2008-001</number>
  <currency>USD</currency>
  <amount type="decimal">60000.00</amount>
  <issued-at type="date">2008-02-06</issued-at>
  <due-at type="date">2008-03-06</due-at>
  <subject>Services</subject>
  <notes>Thanks</notes>
</invoice>"""

ERRORS = """<errors>
  <error code="required" field="amount">amount is required</error>
</errors>"""

INVOICES = '<invoices type="array">\n  ' + INVOICE.replace("\n", "\n  ") + "\n</invoices>"

# Schema component name -> its XML example.
EXAMPLES = {
    "Payment": PAYMENT,
    "PaymentList": PAYMENTS,
    "PaymentCreate": PAYMENT_CREATE,
    "Invoice": INVOICE,
    "InvoiceList": INVOICES,
    "InvoiceCreate": INVOICE_CREATE,
    "Errors": ERRORS,
}
