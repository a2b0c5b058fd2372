"""Pages for people: `GET /` names the service and its version and links the rest; `/redoc`
is ReDoc, served with its script from this service like `/docs` (fastapi-offline's assets)."""

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from payments_service import __version__

ASSETS = "/static-offline-docs"  # where fastapi-offline serves Swagger UI's and ReDoc's files

router = APIRouter()

HOME = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>payments-service {__version__}</title>
<link rel="icon" href="{ASSETS[1:]}/favicon.png">
</head>
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

# ReDoc's sidebar shows Redocly's logo from their CDN, with no option to turn it off: offline
# that is a failed request and a console error. An empty source makes it drop the image.
REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>payments-service - ReDoc</title>
<link rel="icon" href="{root}{assets}/favicon.png">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<script>
const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
Object.defineProperty(HTMLImageElement.prototype, "src", {{
  ...src,
  set(value) {{
    src.set.call(this, String(value).startsWith("https://cdn.redoc.ly/") ? "" : value);
  }},
}});
</script>
<redoc spec-url="{root}/openapi.json"></redoc>
<script src="{root}{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


@router.get("/", include_in_schema=False)
async def home() -> HTMLResponse:
    return HTMLResponse(HOME)


@router.get("/redoc", include_in_schema=False)
async def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return HTMLResponse(REDOC.format(root=root, assets=ASSETS))
