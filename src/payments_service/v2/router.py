"""Every /v2 route."""

from fastapi import APIRouter

from payments_service.v2 import accounts_router, invoices_router, payments_router
from payments_service.v2.errors import PREFIX

router = APIRouter(prefix=PREFIX)
router.include_router(accounts_router.router)
router.include_router(payments_router.router)
router.include_router(invoices_router.router)
