"""One settings object per process, read from ``TICKETFLOW_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

SERVICES: tuple[str, ...] = ("auth", "venue", "booking", "payment", "notification")
DEFAULT_PORTS: dict[str, int] = {"auth": 4001, "venue": 4002, "booking": 4003, "payment": 4004,
                                 "notification": 4005}


class Settings(BaseSettings):
    """Process configuration. Every field has a local default so ``make dev`` needs no setup.

    With neither ``postgres_dsn`` nor ``redis_url`` set, TicketFlow runs embedded:
    one SQLite file per subgraph and an in-process event bus.
    """

    model_config = SettingsConfigDict(env_prefix="TICKETFLOW_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    # The event loop of `ticketflow serve` and `work`: uvloop when installed ("auto", as
    # uvicorn picks), or asyncio's own.
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    data_dir: Path = Path("var")
    # postgresql://user@host:5432 — each subgraph uses its own database "<db_prefix>_<name>".
    postgres_dsn: str | None = None
    db_prefix: str = "ticketflow"
    # PostgreSQL connections per subgraph process: this many, kept open. Up to
    # ``db_max_overflow`` more may be opened in a burst, each closed again when it is given
    # back while the pool is full: under an on-sale's steady crowd that is a new connection
    # (and its prepared statements) again and again, so none by default (docs/benchmarks.md).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    # Deadlines (docs/failures.md): a request never waits longer than these for its database.
    # A pooled connection is waited for this long (an on-sale crowd queues for connections:
    # waiting is the normal case there, so this is generous), a new connection is made
    # within this long, and PostgreSQL cancels any one statement running longer.
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=10_000, ge=0)
    redis_url: str | None = None
    # Prefix for Redis keys and streams, so several deployments (or test runs) can share a server.
    redis_prefix: str = "ticketflow"
    # A Redis command (a revocation check, a publish) fails after this long instead of hanging
    # on a server that stopped answering; connecting has the same deadline.
    redis_timeout_seconds: float = Field(default=2.0, gt=0)

    host: str = "127.0.0.1"
    auth_port: int = DEFAULT_PORTS["auth"]
    venue_port: int = DEFAULT_PORTS["venue"]
    booking_port: int = DEFAULT_PORTS["booking"]
    payment_port: int = DEFAULT_PORTS["payment"]
    notification_port: int = DEFAULT_PORTS["notification"]
    router_port: int = 4000

    jwks_url: str | None = None
    # A subgraph fetches the JWKS again once its copy is this old, so a key withdrawn from
    # it stops verifying; the router's JWKS_MAX_AGE_MS (router/lib/tokens.mjs) is the same.
    jwks_max_age_seconds: float = Field(default=600.0, gt=0)
    # Where booking fetches notification's ticket keys to check tickets in (checkIn).
    ticket_keys_url: str | None = None
    jwt_issuer: str = "ticketflow-auth"
    jwt_audience: str = "ticketflow"
    access_token_ttl_seconds: int = Field(default=900, gt=0)
    # A signed-in session (its refresh-token family) lasts at most this long.
    session_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    # argon2id, RFC 9106 "second recommended option" sized for a small server.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    # Moving windows per client address and per email for login and register.
    rate_limit_window_seconds: int = Field(default=60, gt=0)
    login_limit_per_email: int = Field(default=5, gt=0)
    login_limit_per_address: int = Field(default=20, gt=0)
    register_limit_per_email: int = Field(default=3, gt=0)
    register_limit_per_address: int = Field(default=10, gt=0)
    # resendVerificationEmail, per account (its email) and per address, in the same window.
    resend_verification_limit_per_email: int = Field(default=3, gt=0)
    resend_verification_limit_per_address: int = Field(default=10, gt=0)
    # How long a mailed email-verification token works (docs/waiting-room.md).
    email_verification_ttl_seconds: int = Field(default=48 * 3600, gt=0)
    # Where people reach the web app: links in mails (the verification link) start with it.
    public_url: str = "http://localhost:4000"
    # Peers whose X-Forwarded-For is believed (the router; loopback by default).
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])

    hold_ttl_seconds: int = Field(default=600, gt=0)
    # extendHold pushes a hold's expiry to now + hold_ttl_seconds, never past its creation
    # + hold_max_seconds: a buyer cannot keep seats from everyone else indefinitely.
    hold_max_seconds: int = Field(default=1800, gt=0)
    max_seats_per_hold: int = Field(default=20, gt=0)
    # Seats and standing places one customer may hold or have booked for one show.
    max_seats_per_customer: int = Field(default=10, gt=0)
    # How long the head of a waiting list has to check out the seats offered to it.
    waitlist_offer_seconds: int = Field(default=900, gt=0)
    sweep_interval_seconds: float = Field(default=5.0, gt=0)
    # The waiting room (docs/waiting-room.md). Queue passes are HS256 tokens signed with
    # this secret, which the router knows too (it checks them before booking is called):
    # production refuses the development default.
    queue_pass_secret: str = "ticketflow-development-queue-pass-secret"  # noqa: S105
    # How often each booking process advances every open queue's admissions.
    queue_admit_interval_seconds: float = Field(default=1.0, gt=0)
    # "auto" admits 75 % of this measured hold capacity (docs/benchmarks.md: ~146 holds/s).
    queue_capacity_holds_per_second: float = Field(default=146.0, gt=0)
    # The joining challenge: "pow" (proof of work of queue_challenge_bits leading zero bits),
    # "none", or "package.module:Class" (a ChallengeVerifier, e.g. a captcha's).
    queue_challenge: str = "pow"
    queue_challenge_bits: int = Field(default=16, ge=0, le=32)
    # joinQueue and queueStatus per account and per client address, per rate_limit_window.
    queue_join_limit_per_account: int = Field(default=10, gt=0)
    queue_join_limit_per_address: int = Field(default=100, gt=0)
    queue_status_limit_per_account: int = Field(default=120, gt=0)
    # Payment declines (reason instrument_limit) a queued show's booking paid with a card
    # that already paid this many of the show's bookings (docs/waiting-room.md).
    queue_passes_per_instrument: int = Field(default=2, gt=0)
    # A queued show's booking paid with an instrument the provider cannot identify (a
    # Razorpay card not saved, netbanking, a wallet): "refuse" declines it (reason
    # instrument_unidentified), "allow" takes it uncapped (docs/payments.md).
    queue_unidentified_instruments: Literal["refuse", "allow"] = "refuse"
    relay_interval_seconds: float = Field(default=0.5, gt=0)
    # A commit wakes the outbox relay, which first waits this long for more: under load one
    # round publishes many transactions' events (a hold adds no transaction of its own).
    relay_linger_seconds: float = Field(default=0.005, ge=0)
    # Live seats: a change within this many ms of the show's last delta waits for the
    # window to end and goes out merged with what else came (0: every change at once).
    live_coalesce_ms: int = Field(default=50, ge=0)
    # GET /debug/feeds on a subgraph with shared subscriptions (booking): what its feeds
    # did (snapshot reads and renders, executions, deltas) and whom they serve now. Counters
    # and show ids only; for tests and benchmarks.
    feeds_debug: bool = False
    # Compression of WebSocket messages (permessage-deflate), per connection.
    ws_per_message_deflate: bool = False
    outbox_replay_hours: int = Field(default=24, ge=0)
    # Retention (docs/architecture.md, "Retention"): each subgraph's pruner deletes, every
    # retention_interval_seconds and retention_batch rows per statement, published outbox
    # rows older than outbox_retention_hours (never less than the replay window), the
    # processed-event records older than processed_events_retention_hours (longer than any
    # event stays deliverable: the Redis streams are trimmed to event_stream_retention_hours,
    # and embedded the relay replays outbox_replay_hours), and idempotency keys older than
    # idempotency_key_ttl_hours (a key is honoured at least that long).
    outbox_retention_hours: int = Field(default=7 * 24, gt=0)
    event_stream_retention_hours: int = Field(default=7 * 24, gt=0)
    processed_events_retention_hours: int = Field(default=8 * 24, gt=0)
    idempotency_key_ttl_hours: int = Field(default=24, gt=0)
    retention_interval_seconds: float = Field(default=600.0, gt=0)
    retention_batch: int = Field(default=1000, ge=1, le=100_000)
    # With Redis: the serving processes run no event consumers and no background jobs (only
    # their outbox relay); `ticketflow work <subgraph>` processes run them, so a busy API
    # never delays the saga, and each side scales on its own (README, "Workers").
    separate_workers: bool = False

    # Payments (docs/payments.md). The sandbox needs no account; Razorpay is offered once
    # its key id and secret are set.
    payment_provider: Literal["sandbox", "razorpay"] = "sandbox"
    # Public on purpose: the sandbox moves no money, and production refuses the sandbox.
    sandbox_webhook_secret: str = "sandbox-webhook-secret"  # noqa: S105
    # The key of the instruments' fingerprints (HMAC-SHA256 of the sandbox's card number, of
    # a Razorpay card's PAR or network reference id, of a UPI id): none of them is stored
    # (docs/payments.md, "Cards per queued show"). Production refuses the development default.
    payment_instrument_secret: str = "ticketflow-development-instrument-secret"  # noqa: S105
    # Production refuses the sandbox (test cards buy real seats) unless this says otherwise.
    allow_sandbox: bool = False
    # How long a sandbox "processing" card stays PROCESSING before its webhook settles it.
    sandbox_settle_seconds: float = Field(default=3.0, ge=0)
    razorpay_key_id: str | None = None
    razorpay_key_secret: str | None = None
    razorpay_webhook_secret: str | None = None
    razorpay_api_url: str = "https://api.razorpay.com"
    # startPayment waits this long for a booking payment has not heard of yet.
    payment_wait_seconds: float = Field(default=5.0, ge=0)
    # How often payment retries refunds under way and settles sandbox payments.
    payment_worker_interval_seconds: float = Field(default=2.0, gt=0)
    # A Redis Streams message a dead consumer left unacknowledged is taken over after this.
    event_claim_idle_ms: int = Field(default=30_000, ge=100)

    # Notifications (README "Notifications"). Without an SMTP host the notification service
    # writes each mail it would send as an .eml file into <data_dir>/mail/ (make dev's default).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_username: str | None = None
    smtp_password: str | None = None
    # none: plain SMTP (a relay on localhost); starttls: upgrade after connecting; tls: SMTPS.
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_from: str = "TicketFlow <tickets@ticketflow.dev>"
    # A delivery that failed this many times (or was refused for good) is parked for admins.
    notification_max_attempts: int = Field(default=8, ge=1)
    # Backoff after the n-th failure: this * 2**(n-1) seconds, at most an hour.
    notification_retry_seconds: float = Field(default=30.0, gt=0)
    sms_provider: Literal["log"] = "log"
    # Outgoing webhooks (docs/webhooks.md). A failed delivery is tried again after a random
    # wait of up to base * 2**(n-1) seconds (at most the cap), until the window has passed
    # since its first attempt; then it is PARKED. Each request gets the timeout.
    webhook_retry_seconds: float = Field(default=30.0, gt=0)
    webhook_max_backoff_seconds: float = Field(default=6 * 3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=3 * 24 * 3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)

    log_level: str = "INFO"
    # text: one human line per record (make dev); json: one JSON object per line.
    log_format: Literal["text", "json"] = "text"
    # One line per HTTP request (method, path, GraphQL operation, status, time); off by
    # default, `make dev` turns it on (docs/observability.md).
    access_log: bool = False
    # GET /metrics on every subgraph (Prometheus text format).
    metrics: bool = True
    # Only in development: tracebacks in error extensions. Never in production.
    debug_errors: bool = False

    @model_validator(mode="after")
    def _production_needs_servers(self) -> Settings:
        if self.env == "production" and (not self.postgres_dsn or not self.redis_url):
            raise ValueError(
                "TICKETFLOW_ENV=production needs TICKETFLOW_POSTGRES_DSN and TICKETFLOW_REDIS_URL"
            )
        if self.hold_max_seconds < self.hold_ttl_seconds:
            raise ValueError(
                "TICKETFLOW_HOLD_MAX_SECONDS must be at least TICKETFLOW_HOLD_TTL_SECONDS")
        if self.env == "production" and self.payment_provider == "sandbox" \
                and not self.allow_sandbox:
            raise ValueError("TICKETFLOW_ENV=production takes real payments: set "
                             "TICKETFLOW_PAYMENT_PROVIDER=razorpay (the sandbox gives tickets "
                             "away), or TICKETFLOW_ALLOW_SANDBOX=true for a demo")
        if self.payment_provider == "razorpay" and not (
                self.razorpay_key_id and self.razorpay_key_secret):
            raise ValueError("TICKETFLOW_PAYMENT_PROVIDER=razorpay needs "
                             "TICKETFLOW_RAZORPAY_KEY_ID and TICKETFLOW_RAZORPAY_KEY_SECRET")
        if self.outbox_retention_hours < self.outbox_replay_hours:
            raise ValueError("TICKETFLOW_OUTBOX_RETENTION_HOURS must be at least "
                             "TICKETFLOW_OUTBOX_REPLAY_HOURS (the relay replays that window)")
        if self.processed_events_retention_hours <= max(self.event_stream_retention_hours,
                                                        self.outbox_replay_hours):
            raise ValueError("TICKETFLOW_PROCESSED_EVENTS_RETENTION_HOURS must be longer than "
                             "TICKETFLOW_EVENT_STREAM_RETENTION_HOURS and "
                             "TICKETFLOW_OUTBOX_REPLAY_HOURS (an event may be delivered again "
                             "as long as either keeps it)")
        if self.env == "production" and self.debug_errors:
            raise ValueError("TICKETFLOW_DEBUG_ERRORS must be off in production")
        if self.env == "production" and \
                self.queue_pass_secret == type(self).model_fields["queue_pass_secret"].default:
            raise ValueError("TICKETFLOW_QUEUE_PASS_SECRET must be set in production")
        if self.env == "production" and self.payment_instrument_secret == \
                type(self).model_fields["payment_instrument_secret"].default:
            raise ValueError("TICKETFLOW_PAYMENT_INSTRUMENT_SECRET must be set in production "
                             "(it keys the fingerprints of cards and UPI ids)")
        return self

    @property
    def sandbox_enabled(self) -> bool:
        """Whether test cards may pay: always outside production, in it only when allowed."""
        return self.env != "production" or self.allow_sandbox

    @property
    def embedded(self) -> bool:
        """True when no event server is configured: the in-process bus connects the subgraphs."""
        return self.redis_url is None

    @property
    def mail_dir(self) -> Path:
        """Where the file transport writes mails when no SMTP host is set."""
        return self.data_dir / "mail"

    def port_of(self, service: str) -> int:
        """The HTTP port a subgraph listens on."""
        return int(getattr(self, f"{service}_port"))

    def url_of(self, service: str) -> str:
        """The GraphQL URL of a subgraph as seen from this machine."""
        return f"http://{self.host}:{self.port_of(service)}/graphql"

    def database_url(self, service: str) -> str:
        """The SQLAlchemy async URL of a subgraph's own database."""
        if self.postgres_dsn:
            # The DSN names a server; the database is always the subgraph's own.
            url = make_url(self.postgres_dsn.replace("postgres://", "postgresql://", 1))
            url = url.set(drivername="postgresql+asyncpg", database=f"{self.db_prefix}_{service}")
            return url.render_as_string(hide_password=False)
        return f"sqlite+aiosqlite:///{self.data_dir / f'{self.db_prefix}_{service}.db'}"

    @property
    def effective_jwks_url(self) -> str:
        """Where every subgraph fetches the auth service's public keys."""
        return self.jwks_url or f"http://{self.host}:{self.auth_port}/.well-known/jwks.json"

    @property
    def effective_ticket_keys_url(self) -> str:
        """Where booking fetches notification's public ticket keys (a JWKS document)."""
        return self.ticket_keys_url or (
            f"http://{self.host}:{self.notification_port}/.well-known/ticket-keys.json")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, validated once at start-up."""
    return Settings()
