"""`GET /`: a small page naming the service and its version, with links to its documentation
and probes (for a person who opens the service's address in a browser)."""

from fastapi import APIRouter
from starlette.responses import HTMLResponse

from payments_service import __version__

router = APIRouter()

PAGE = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>payments-service {__version__}</title></head>
<body>
<h1>payments-service {__version__}</h1>
<p>Records payments against invoices: the Harvest v1 Invoice Payments API, and Harvest v2
under <code>/v2</code>.</p>
<ul>
<li><a href="docs">/docs</a>: the API reference (Swagger UI)</li>
<li><a href="redoc">/redoc</a>: the same, as ReDoc</li>
<li><a href="openapi.json">/openapi.json</a>: the OpenAPI document</li>
<li><a href="healthz">/healthz</a>: liveness</li>
</ul>
</body>
</html>
"""


@router.get("/", include_in_schema=False)
async def home() -> HTMLResponse:
    return HTMLResponse(PAGE)
