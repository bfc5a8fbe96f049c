"""Channels: one way of reaching one person (a phone app, a mail box, a webhook), and its outcome.

A ``Channel`` sends one page and says, like Alertmanager's notifiers, whether a failure is worth
retrying. ``AppriseChannel`` is the only real implementation: one apprise URL per channel, so a
failure names the channel that failed (apprise's ``notify()`` over several URLs only says "some
failed"). This module must not retry, log delivery outcomes or know about Kafka: retry policy and
failover live in ``delivery``.

Secrets: a channel URL carries tokens and passwords. Nothing derived from the raw URL leaves this
module except through ``safe_url`` (apprise's ``url(privacy=True)`` without its query, where
apprise leaves custom ``+Header=value`` arguments in clear) and text passed through ``_Scrubber``.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Optional, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from apprise import Apprise
from apprise.plugins.base import NotifyBase
from apprise.result import AppriseResult, AppriseResultStatus

_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")
_PROBLEM_LEVELS = {"WARNING", "ERROR", "CRITICAL"}
_MAX_DETAIL_CHARS = 400


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send. ``error`` is secret-free and set whenever ``ok`` is False."""

    ok: bool
    retryable: bool
    error: Optional[str] = None

    @classmethod
    def sent(cls) -> "SendResult":
        return cls(ok=True, retryable=False, error=None)

    @classmethod
    def transient(cls, error: str) -> "SendResult":
        """A failure that may pass: network down, timeout, remote 5xx."""
        return cls(ok=False, retryable=True, error=error)

    @classmethod
    def permanent(cls, error: str) -> "SendResult":
        """A failure that will not pass by retrying: a malformed URL, a message apprise refuses."""
        return cls(ok=False, retryable=False, error=error)


class Channel(Protocol):
    """One way of reaching a person. ``name`` is stable and secret-free (see ``channel_name``)."""

    name: str

    async def send(self, title: str, body: str) -> SendResult: ...


def channel_name(url: str, index: int) -> str:
    """A stable, secret-free name for a person's ``index``-th channel: ``json-0``, ``mailto-1``.

    The scheme is the only part of the URL used; a string without one is named ``unknown-<index>``.
    """
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else "unknown"
    return f"{scheme}-{index}"


def _scheme_only(url: str) -> str:
    """What may be shown of a URL apprise could not parse: its scheme, nothing else."""
    match = _SCHEME.match(url)
    return f"{match.group(1).lower()}://…" if match else "(no scheme://)"


def safe_url(plugin: NotifyBase) -> str:
    """The plugin's privacy URL without its query string.

    apprise masks passwords and tokens in ``url(privacy=True)`` but keeps custom header arguments
    (``?+Authorization=…``) in clear, so the query is dropped: it says nothing a log reader needs.
    """
    return plugin.url(privacy=True).split("?", 1)[0]


class _Scrubber:
    """Masks, in apprise's log text, every part of the raw URL that apprise itself hides.

    A part counts as secret when it is absent from the privacy URL (apprise masked it) or is the
    value of a ``+header`` argument. Short parts are left alone: masking "ab" everywhere would
    garble messages and hide nothing worth hiding.
    """

    def __init__(self, url: str, plugin: NotifyBase) -> None:
        shown = unquote(plugin.url(privacy=True))
        try:
            parts = urlsplit(url.strip())
            host = re.sub(r":\d*$", "", parts.netloc.rpartition("@")[2])  # as written, not lower-cased
            candidates = [parts.username, parts.password, host, *parts.path.split("/")]
            headers = []
            # apprise marks header arguments with a literal "+", which parse_qsl would read as a space.
            for key, value in parse_qsl(parts.query.replace("+", "%2B"), keep_blank_values=True):
                candidates.append(value)
                if key.startswith("+"):
                    headers.append(value)
        except ValueError:
            candidates, headers = [], []
        secrets = {c for c in candidates if c and c not in shown} | {h for h in headers if h}
        forms = {form for s in secrets for form in (s, unquote(s)) if len(form) >= 4}
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "****")
        return text


class AppriseChannel:
    """Sends to exactly one apprise URL, bounded by ``timeout_s``.

    Outcomes: apprise succeeded → ok; apprise failed or the timeout passed → retryable (apprise
    cannot tell a 503 from a 401, so we assume the failure may pass and let the retry budget bound
    it); the URL cannot be parsed, or apprise refuses the message before sending → permanent.

    A send cut short by the timeout keeps running in apprise's worker thread until the plugin's own
    socket timeouts end it; its result is then ignored.
    """

    def __init__(self, url: str, name: str, timeout_s: float = 10.0) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, not {timeout_s!r}")
        self.name = name
        self.timeout_s = timeout_s
        self._plugin: Optional[NotifyBase] = Apprise.instantiate(url)
        if self._plugin is None:
            self.safe_url = _scheme_only(url)
            self._apprise: Optional[Apprise] = None
            self._scrub = lambda text: text
        else:
            self.safe_url = safe_url(self._plugin)
            self._apprise = Apprise()
            self._apprise.add(self._plugin)
            self._scrub = _Scrubber(url, self._plugin)

    @staticmethod
    def validate(url: str) -> Optional[str]:
        """The problem with ``url`` if apprise cannot use it, else None (for start-up validation)."""
        if Apprise.instantiate(url) is None:
            return f"unsupported or malformed channel URL {_scheme_only(url)}"
        return None

    def __repr__(self) -> str:
        return f"AppriseChannel({self.name!r}, {self.safe_url!r})"

    async def send(self, title: str, body: str) -> SendResult:
        if self._apprise is None:
            return SendResult.permanent(f"unsupported or malformed channel URL {self.safe_url}")
        try:
            result = await asyncio.wait_for(self._apprise.async_notify(body=body, title=title),
                                            timeout=self.timeout_s)
        except TimeoutError:
            return SendResult.transient(f"{self.safe_url}: no answer within {self.timeout_s:g} s")
        with result:
            return self._classify(result)

    def _classify(self, result: AppriseResult) -> SendResult:
        if result:
            return SendResult.sent()
        detail = self._problems(result)
        if result.status == AppriseResultStatus.TIMEOUT:
            return SendResult.transient(f"{self.safe_url}: apprise timed out{detail}")
        if len(result) == 0:
            # Nothing was dispatched: apprise rejected the call itself (e.g. an empty message),
            # which sending again will not change.
            return SendResult.permanent(f"{self.safe_url}: apprise did not send{detail}")
        return SendResult.transient(f"{self.safe_url}: apprise reported a failure{detail}")

    def _problems(self, result: AppriseResult) -> str:
        """apprise's own warnings for this call (captured per call, so concurrent sends don't mix)."""
        messages = [entry.message for entry in result.logs() if entry.level in _PROBLEM_LEVELS]
        if not messages:
            return ""
        text = self._scrub("; ".join(dict.fromkeys(messages)))
        if len(text) > _MAX_DETAIL_CHARS:
            text = text[: _MAX_DETAIL_CHARS - 1] + "…"
        return f" ({text})"
