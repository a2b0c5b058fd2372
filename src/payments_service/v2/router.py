"""Every /v2 route."""

from fastapi import APIRouter

from payments_service.v2 import accounts, invoices, payments
from payments_service.v2.errors import PREFIX

router = APIRouter(prefix=PREFIX)
router.include_router(accounts.router)
router.include_router(payments.router)
router.include_router(invoices.router)
