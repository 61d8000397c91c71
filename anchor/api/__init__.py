"""The HTTP API (FastAPI): ``anchor.api.app.create_app(config, db)`` builds the app from the
routers of ``anchor.api.ingest``, ``.batches``, ``.proofs``, ``.me`` and ``.explorer`` (each
exposes ``router: APIRouter``). Server extras only: the verifier never imports this."""
