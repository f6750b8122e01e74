"""A link in a message opens only after the user has seen where it goes.

Replies are written by a model that may have read a hostile document, so a
link's text can say one thing and its target another
(``[https://docs.python.org/](http://127.0.0.1/leak?data=…)``). A click
shows ``confirm_link``'s dialog: the full target as plain text with its host
in bold, a warning when the link text shows another address, and Open /
Copy link / Cancel. Nothing is opened before Open. ``shown_hosts`` finds
the addresses a link's text shows; ``deception`` says whether the target
goes elsewhere.
"""
from __future__ import annotations

import html
import re
from typing import Iterable
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.main.markdown import is_safe_link
from desktop.plain import visible

__all__ = ["confirm_link", "deception", "display_url", "link_host", "shown_hosts"]

_DOMAIN_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE)
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_EMAIL_RE = re.compile(r"[^\s@<>()\[\]]+@([^\s@<>()\[\]/]+)")
_STRIP = "()[]{}<>\"'`.,;:!?*_~“”‘’「」《》，。；：！？"
# A word like "setup.py" is a file name far more often than a domain; it is not taken for an address.
_FILE_ENDINGS = frozenset({"py", "md", "txt", "json", "js", "ts", "rs", "sh", "yml", "yaml", "toml", "cfg", "ini",
                           "html", "htm", "css", "pdf", "png", "jpg", "jpeg", "gif", "csv", "cpp", "rb", "java",
                           "exe", "zip", "gz", "log", "lock", "xml", "docx", "rst", "ipynb", "so", "dll"})


def _norm(host: str) -> str:
    host = host.strip().strip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
    except UnicodeError:
        pass
    return host[4:] if host.startswith("www.") else host


def link_host(href: str) -> str:
    """The host a link goes to (the domain of a mailto address); '' when it has none."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() == "mailto":
        address = parts.path.split("?")[0].split(",")[0]
        return address.rpartition("@")[2].strip() if "@" in address else ""
    return parts.hostname or ""


def _word_host(word: str) -> str:
    word = word.strip(_STRIP)
    if not word:
        return ""
    if "://" in word:
        try:
            return urlsplit(word).hostname or ""
        except ValueError:
            return ""
    if word.lower().startswith("mailto:"):
        word = word[7:]
    email = _EMAIL_RE.fullmatch(word)
    if email:
        return email.group(1).strip(_STRIP)
    head = re.split(r"[/?#]", word, maxsplit=1)[0]
    head = head.rsplit(":", 1)[0] if head.count(":") == 1 else head
    if _IPV4_RE.fullmatch(head):
        return head
    if _DOMAIN_RE.fullmatch(head):
        ending = head.rsplit(".", 1)[1].lower()
        if ending in _FILE_ENDINGS and head == word and not head.lower().startswith("www."):
            return ""
        return head
    return ""


def shown_hosts(text: str) -> list[str]:
    """The hosts that a link's text shows as a URL, a domain or an e-mail address, in order."""
    found: list[str] = []
    for word in (text or "").split():
        host = _word_host(word)
        if host and host not in found:
            found.append(host)
    return found


def deception(texts: Iterable[str], href: str) -> str | None:
    """The first address a link's text shows that is not where ``href`` goes (a subdomain of what is
    shown counts as the same place); None when the text shows no other address."""
    target = _norm(link_host(href))
    for text in texts:
        for host in shown_hosts(text):
            shown = _norm(host)
            if shown != target and not target.endswith("." + shown):
                return host
    return None


def display_url(url: QUrl) -> str:
    """The target as it will be opened: percent-encoded, an international host in its xn-- form."""
    return bytes(url.toEncoded().data()).decode("ascii", "replace")


def _host_text(url: QUrl) -> str:
    if url.scheme().lower() == "mailto":
        return link_host(url.toString())
    return url.host(QUrl.ComponentFormattingOption.FullyEncoded)


def _bold_host(full: str, host: str) -> str:
    """``full`` escaped for rich text, with the host (its last occurrence before the path) in bold."""
    if not host:
        return html.escape(full, quote=False)
    authority_end = len(full)
    scheme_end = full.find("://")
    if scheme_end >= 0:
        rest = re.search(r"[/?#]", full[scheme_end + 3:])
        authority_end = scheme_end + 3 + rest.start() if rest else len(full)
    at = full.lower().rfind(host.lower(), 0, authority_end)
    if at < 0:
        at = full.lower().find(host.lower())
    if at < 0:
        return html.escape(full, quote=False)
    return (html.escape(full[:at], quote=False) + "<b>" + html.escape(full[at:at + len(host)], quote=False)
            + "</b>" + html.escape(full[at + len(host):], quote=False))


def confirm_link(parent: QWidget | None, url: QUrl, texts: Iterable[str] = ()) -> QMessageBox | None:
    """Ask before opening ``url`` (a link clicked in a message whose text was ``texts``); returns the dialog,
    or None when the link may never open (not http, https or mailto)."""
    href = url.toString()
    if not is_safe_link(href):
        return None
    full = display_url(url)
    host = _host_text(url)
    shown = deception(list(texts), href)
    box = QMessageBox(parent)
    box.setObjectName("linkConfirm")
    box.setIcon(QMessageBox.Icon.Warning if shown else QMessageBox.Icon.Question)
    box.setWindowTitle(QCoreApplication.translate("LinkDialog", "Open link?"))
    box.setTextFormat(Qt.TextFormat.RichText)
    text = (html.escape(QCoreApplication.translate("LinkDialog", "This link opens:"), quote=False)
            + f'<p style="white-space:pre-wrap">{_bold_host(full, host)}</p>')
    if shown:
        warning = (QCoreApplication.translate("LinkDialog", "The link text shows %1 but it opens %2.")
                   .replace("%1", "\0a").replace("%2", "\0b"))
        warning = (html.escape(warning, quote=False)
                   .replace("\0a", f"<b>{html.escape(visible(shown), quote=False)}</b>")
                   .replace("\0b", f"<b>{html.escape(visible(host) or full, quote=False)}</b>"))
        text += f'<p style="color:#c0392b">{warning}</p>'
    trust = QCoreApplication.translate("LinkDialog", "Open it only if you trust where it goes.")
    text += f"<p>{html.escape(trust, quote=False)}</p>"
    box.setText(text)
    box.setProperty("target", full)
    box.setProperty("deceptive", shown or "")
    open_label = QCoreApplication.translate("LinkDialog", "Open")
    open_button = box.addButton(open_label, QMessageBox.ButtonRole.AcceptRole)
    open_button.setObjectName("openLink")
    copy_label = QCoreApplication.translate("LinkDialog", "Copy link")
    copy_button = box.addButton(copy_label, QMessageBox.ButtonRole.ActionRole)
    copy_button.setObjectName("copyLink")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)

    def chosen(button: object) -> None:
        if button is open_button:
            QDesktopServices.openUrl(url)
        elif button is copy_button:
            QGuiApplication.clipboard().setText(full)

    box.buttonClicked.connect(chosen)
    box.open()
    return box
