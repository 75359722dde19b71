"""The email channel: a plain-text message over SMTP, STARTTLS by default.

The server certificate is verified (system CAs, or ``CADENCIA_NOTIFY_SMTP_CA_FILE`` for a
private CA). Credentials are optional; when given they are only ever sent over TLS.
SMTP replies decide the class of a failure: 4xx and dropped connections are transient,
5xx and refused authentication are final.
"""

from __future__ import annotations

import dataclasses
import os
import smtplib
import socket
import ssl
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from steps._core.errors import ConfigError, TransientError, UpstreamError
from steps._core.settings import Secret, Settings
from steps._notify.delivery import NotifySettings
from steps._notify.message import Message


@dataclasses.dataclass(frozen=True)
class EmailSettings(Settings):
    prefix = "CADENCIA_NOTIFY_"
    smtp_host: str
    email_from: str
    email_to: tuple[str, ...]
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    """Implicit TLS from the first byte (port 465); STARTTLS is then not used."""
    smtp_username: Secret | None = None
    smtp_password: Secret | None = None
    smtp_ca_file: str | None = None


def _name(field: str) -> str:
    return EmailSettings.env_name(field)


def check(s: EmailSettings) -> EmailSettings:
    if not s.email_to:
        raise ConfigError(f"{_name('email_to')} lists no recipient", setting=_name("email_to"))
    if (s.smtp_username is None) != (s.smtp_password is None):
        missing = _name("smtp_password" if s.smtp_password is None else "smtp_username")
        raise ConfigError(f"missing required setting {missing} (SMTP credentials come in pairs)",
                          setting=missing)
    if s.smtp_username is not None and not (s.smtp_starttls or s.smtp_ssl):
        raise ConfigError(
            f"refusing to send SMTP credentials in clear text: set {_name('smtp_starttls')}=true "
            f"or {_name('smtp_ssl')}=true", setting=_name("smtp_starttls"))
    if s.smtp_ca_file and not os.path.isfile(s.smtp_ca_file):
        raise ConfigError(f"{_name('smtp_ca_file')} is not a file: {s.smtp_ca_file}",
                          setting=_name("smtp_ca_file"))
    return s


def build_email(message: Message, sender: str, recipients: Iterable[str]) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(usegmt=True)
    # make_msgid() without a domain asks DNS for this host's FQDN, which can hang in a pod.
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "cadencia.local")
    mail["X-Cadencia-Status"] = message.status
    mail.set_content(message.text())
    return mail


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


class EmailChannel:
    name = "email"

    def __init__(self, settings: EmailSettings, notify: NotifySettings) -> None:
        self.s = check(settings)
        self._timeout = notify.timeout
        self.target = f"smtp://{settings.smtp_host}:{settings.smtp_port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str], notify: NotifySettings) -> EmailChannel:
        return cls(EmailSettings.from_env(env), notify)

    def secrets(self) -> Iterable[str]:
        return [v.reveal() for v in (self.s.smtp_username, self.s.smtp_password) if v]

    def send(self, message: Message) -> None:
        try:
            self._send(build_email(message, self.s.email_from, self.s.email_to))
        except smtplib.SMTPAuthenticationError as exc:
            raise UpstreamError(f"authentication refused: {_reply(exc)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise UpstreamError(f"server does not support it: {exc}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            replies = list(exc.recipients.values())
            text = "; ".join(f"{code} {msg.decode(errors='replace')}" for code, msg in replies)
            cls = TransientError if all(400 <= c < 500 for c, _ in replies) else UpstreamError
            raise cls(f"recipients refused: {text}") from None
        except smtplib.SMTPResponseException as exc:
            cls = TransientError if 400 <= exc.smtp_code < 500 else UpstreamError
            raise cls(f"server replied {_reply(exc)}") from None
        except ssl.SSLCertVerificationError as exc:
            raise UpstreamError(
                f"TLS certificate not trusted ({exc.verify_message}); set "
                f"{_name('smtp_ca_file')} for a private CA") from None
        except ssl.SSLError as exc:
            raise UpstreamError(f"TLS handshake failed: {exc.reason}") from None
        except smtplib.SMTPServerDisconnected as exc:
            raise TransientError(f"server disconnected: {exc}") from None
        except smtplib.SMTPException as exc:
            raise UpstreamError(f"SMTP error: {exc}") from None
        except TimeoutError:
            raise TransientError("timed out") from None
        except OSError as exc:
            raise TransientError(f"connection failed: {exc.strerror or exc}") from None

    def _send(self, mail: EmailMessage) -> None:
        s = self.s
        context = ssl.create_default_context(cafile=s.smtp_ca_file or None)
        # gethostname(), not the default getfqdn(): no DNS lookup in the EHLO name.
        helo = socket.gethostname()
        client: smtplib.SMTP
        if s.smtp_ssl:
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, local_hostname=helo,
                                      timeout=self._timeout, context=context)
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, local_hostname=helo,
                                  timeout=self._timeout)
        with client:
            if s.smtp_starttls and not s.smtp_ssl:
                client.starttls(context=context)
            if s.smtp_username is not None and s.smtp_password is not None:
                client.login(s.smtp_username.reveal(), s.smtp_password.reveal())
            client.send_message(mail)
