"""The FastAPI application: `create_app(database_url)` (run by uvicorn from safecard-server).

Handlers are plain functions (FastAPI runs them on its thread pool) over one Store; the
blob upload reads its raw body asynchronously and stores it on the thread pool. Every
failure of a whole request is an `ErrorResponse` with a reason key: 400 bad request, 401
signed out, 403 forbidden, 411/413 size, 426 protocol version, 503 transient (retry).
OpenAPI is at /docs and /openapi.json.
"""


import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from forms.errors import BadInput, Forbidden, NotFound, SafeCardError
from forms.store.repo import Store
from sync import blobs as b
from sync import protocol as p
from sync.server import anonymous, auth, blobs, db, security, signin, storage
from sync.server.directory import Directory, DirectoryUnavailable
from sync.server.limits import BodyLimit, HttpLimits


class ProtocolMismatch(Exception):
    def __init__(self, got: str | None) -> None:
        super().__init__(got)
        self.got = got


_HTTP_ERRORS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def _error(status: int, error: str, detail: str | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    body = p.ErrorResponse(error=error, detail=detail).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(database_url: str, *, clock_ms: Callable[[], int] | None = None,
               max_body: int = p.SERVER_MAX_BODY, max_blob: int = b.MAX_BLOB_BYTES,
               store: Store | None = None,
               login_limiter: security.LoginLimiter | None = None,
               directory: Directory | None = None,
               limits: HttpLimits | None = None) -> FastAPI:
    """The server over one database (migrated on start), with directory sign-in when a
    `directory` is given (`Directory.from_env()`). `clock_ms` is for tests; `limits` by
    default from the environment (docs/deployment.md)."""
    store = store or db.open_server_store(database_url)
    now_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)

    app = FastAPI(title="SafeCard sync server", version=str(p.PROTOCOL_VERSION),
                  description="Offline-first sync of SafeCard's event log (docs/protocol.md).")
    app.state.store = store
    live_config = db.LiveConfig(store)
    blob_path = f"{p.API}/blobs/"
    app.add_middleware(BodyLimit, max_body=max_body, limits=limits or HttpLimits.from_env(),
                       larger={blob_path: max_blob,
                               f"{p.API}/anonymous/cards": p.ANONYMOUS_MAX_BODY},
                       inspect=lambda path: None if path.startswith(blob_path)
                       else security.json_refusal)
    _handlers(app)
    limiter = security.install(app, limiter=login_limiter)  # outermost: added last

    def protocol(version: Annotated[str | None, Header(alias=p.PROTOCOL_HEADER)] = None) -> None:
        if version != str(p.PROTOCOL_VERSION):
            raise ProtocolMismatch(version)

    def principal(
        authorization: Annotated[str | None, Header()] = None,
    ) -> auth.Principal:
        # The configuration is looked at in the same round trip as the token.
        who = auth.authenticate(store, authorization, on_config=live_config.seen)
        if directory is not None:
            directory.recheck(store, who.user)  # a user the directory disabled is out
        return who

    versioned = [Depends(protocol)]
    anonymous.install(app, store, now_ms, protocol)  # the drop box: no token, no address
    Who = Annotated[auth.Principal, Depends(principal)]

    @app.get(f"{p.API}/health", response_model=p.HealthResponse)
    def health() -> p.HealthResponse:
        return p.HealthResponse(status="ok", database=store.engine.dialect.name,
                                server_time_ms=now_ms())

    @app.post(f"{p.API}/auth/login", response_model=p.LoginResponse, dependencies=versioned)
    def login(body: p.LoginRequest) -> p.LoginResponse:
        _same_protocol(body)
        limiter.check(body.user)  # 429 before any password is checked
        # The name signed in as: a personnel number becomes its user's name (signin.py).
        name = signin.verify(store, body.user, body.password, directory)
        token, role = auth.issue_token(store, name, body.device_id)
        return p.LoginResponse(token=token, user=name, role=role,  # type: ignore[arg-type]
                               device_id=body.device_id)

    @app.post(f"{p.API}/sync/push", response_model=p.PushResponse, dependencies=versioned)
    def push(body: p.PushRequest, who: Who) -> Response:
        _same_protocol(body)
        if who.role == "auditor":
            raise Forbidden("sync_read_only")
        # The projection's deadlines follow the loaded configuration, which `who` read.
        outcome = storage.push(store, who, [e.to_event() for e in body.events], now_ms())
        return _json(p.PushResponse(results=outcome.results,
                                    device_seq_contiguous=outcome.device_seq_contiguous,
                                    server_time_ms=now_ms()))

    @app.get(f"{p.API}/sync/pull", response_model=p.PullResponse, dependencies=versioned)
    def pull(who: Who, cursor: str | None = None,
             limit: Annotated[int, Query(ge=1, le=p.PULL_MAX)] = p.PULL_DEFAULT,
             ) -> Response:
        page = storage.pull(store, cursor, limit, as_json=True)
        return Response(page.json(), media_type="application/json")

    @app.get(f"{p.API}/config", response_model=p.ConfigResponse, dependencies=versioned)
    def config(who: Who) -> p.ConfigResponse:
        current = live_config.get()
        return p.ConfigResponse(version=current.version, config=current.raw)

    BlobName = Annotated[str, Path(pattern=b.SHA256_PATTERN)]

    @app.put(f"{p.API}/blobs/{{sha256}}", response_model=p.BlobResponse, status_code=201,
             dependencies=versioned,
             responses={200: {"model": p.BlobResponse, "description": "already stored"}})
    async def put_blob(sha256: BlobName, request: Request, who: Who) -> JSONResponse:
        if who.role == "auditor":
            raise Forbidden("sync_read_only")
        data = await request.body()  # read whole and bounded by BodyLimit
        created = await run_in_threadpool(blobs.put, store, sha256, data)
        answer = p.BlobResponse(sha256=sha256, size=len(data), created=created)
        return JSONResponse(answer.model_dump(), status_code=201 if created else 200)

    @app.head(f"{p.API}/blobs/{{sha256}}", dependencies=versioned)
    def head_blob(sha256: BlobName, who: Who) -> Response:
        return Response(status_code=200 if blobs.has(store, sha256) else 404)

    @app.get(f"{p.API}/blobs/{{sha256}}", dependencies=versioned,
             response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
    def get_blob(sha256: BlobName, who: Who) -> Response:
        found = blobs.get(store, sha256)
        if found is None:
            return _error(404, "no_blob")
        return Response(found.data, media_type=found.media_type,
                        headers={"Cache-Control": "private, max-age=31536000, immutable"})

    return app


def _json(answer: p.Message) -> Response:
    """A model the handler built itself, serialised once (response_model still documents
    it; FastAPI would otherwise validate it a second time)."""
    return Response(answer.model_dump_json(), media_type="application/json")


def _same_protocol(body: p.Message) -> None:
    if body.protocol != p.PROTOCOL_VERSION:
        raise ProtocolMismatch(str(body.protocol))


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ProtocolMismatch)
    def _protocol(_r: Request, exc: ProtocolMismatch) -> JSONResponse:
        return _error(426, "protocol_mismatch",
                      f"server speaks {p.PROTOCOL_VERSION}, client sent {exc.got}")

    @app.exception_handler(auth.Unauthorized)
    def _unauthorized(_r: Request, exc: auth.Unauthorized) -> JSONResponse:
        return _error(401, exc.reason, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(DirectoryUnavailable)
    def _directory(_r: Request, _exc: DirectoryUnavailable) -> JSONResponse:
        return _error(503, "directory_unavailable", headers={"Retry-After": "10"})

    @app.exception_handler(blobs.BlobRefused)
    def _blob(_r: Request, exc: blobs.BlobRefused) -> JSONResponse:
        return _error(exc.status, exc.reason)

    @app.exception_handler(SafeCardError)
    def _safecard(_r: Request, exc: SafeCardError) -> JSONResponse:
        status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 400
        if not isinstance(exc, Forbidden | NotFound | BadInput):
            status = 409
        return _error(status, exc.key.removeprefix("sync_"))

    @app.exception_handler(RequestValidationError)
    def _invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return _error(400, "bad_request", f"{where}: {first.get('msg', '')}"[:300])

    @app.exception_handler(HTTPException)
    def _http(_r: Request, exc: HTTPException) -> JSONResponse:
        # Starlette's own refusals (a body it cannot parse, an unknown route or method) in
        # the same {"error", "detail"} shape as ours.
        error = _HTTP_ERRORS.get(exc.status_code, "bad_request" if exc.status_code < 500
                                 else "internal")
        return _error(exc.status_code, error, str(exc.detail)[:300] if exc.detail else None,
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    def _database(_r: Request, exc: DBAPIError) -> JSONResponse:
        # Lost connection, serialisation failure, a concurrent insert of the same id: the
        # transaction rolled back, nothing was stored, the client retries the same batch.
        return _error(503, "busy", type(exc.orig).__name__, headers={"Retry-After": "2"})
