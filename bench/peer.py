"""The peer: "record a payment" as a typical FastAPI service would write it instead.

What a team writes when it does not adopt this service, in the style of FastAPI's own
full-stack template: a SQLModel `AsyncSession` per request, the invoice read with
`select(...).with_for_update()`, the ORM's insert and update, commit, refresh, a Pydantic
response. The same balance rule (`ledger.py`), no auth, events, idempotency, logs or metrics.
Served by uvicorn like the floor; configured by DATABASE_URL, BENCH_ACCOUNT and BENCH_POOL_SIZE.
"""

import os
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from payments_service.db.pool import sqlalchemy_url
from payments_service.db.tables import Invoice, Payment
from payments_service.domain import ledger

ACCOUNT = int(os.environ["BENCH_ACCOUNT"])
engine = create_async_engine(
    sqlalchemy_url(os.environ["DATABASE_URL"]),
    pool_size=int(os.environ["BENCH_POOL_SIZE"]),
    max_overflow=0,
)
app = FastAPI()


async def get_session() -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class PaymentCreate(BaseModel):
    amount: Decimal
    paid_at: datetime
    notes: str | None = None


class PaymentPublic(BaseModel):
    id: int
    invoice_id: int
    amount: Decimal
    paid_at: datetime
    notes: str | None
    created_at: datetime


@app.post("/invoices/{invoice_id}/payments", status_code=201, response_model=PaymentPublic)
async def record_payment(invoice_id: int, body: PaymentCreate, session: SessionDep) -> Payment:
    query = select(Invoice).where(Invoice.account_id == ACCOUNT, Invoice.id == invoice_id)
    invoice = (await session.exec(query.with_for_update())).one_or_none()
    if invoice is None:
        raise HTTPException(status_code=404, detail="Invoice not found")
    before = ledger.Ledger(invoice.amount, invoice.due_amount, invoice.sent_at, invoice.closed_at)
    after = ledger.record_payment(before, body.amount)
    payment = Payment(
        account_id=ACCOUNT,
        invoice_id=invoice_id,
        amount=body.amount,
        paid_at=body.paid_at,
        notes=body.notes,
        recorded_by="Bench Runner",
        recorded_by_email="peer@bench.example",
    )
    session.add(payment)
    invoice.due_amount = after.due_amount
    invoice.state = after.state.value
    session.add(invoice)
    await session.commit()
    await session.refresh(payment)
    return payment
