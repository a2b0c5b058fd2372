"""Every /v2 route, by resource."""

from payments_service.v2 import accounts, invoices, payments

ROUTERS = (accounts.router, payments.router, invoices.router)
