"""Every /v2 route."""

from fastapi import APIRouter

from payments_service.v2 import accounts_router
from payments_service.v2.errors import PREFIX

router = APIRouter(prefix=PREFIX)
router.include_router(accounts_router.router)
