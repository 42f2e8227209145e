"""The simulator answers out-of-range values with SOAP faults and refuses bodies before reading them.

Found by probing: a 23-digit ``Vat`` or ``Price`` gave a plain-text 500 (``decimal.InvalidOperation``)
and a 300 MiB body without credentials was read in full before the 401.
"""

from __future__ import annotations

import base64
import socket

import pytest
from lxml import etree

from connectors.jetshop.wire import ENDPOINT_PATH, SOAP12_NS

from .conftest import FIXTURES

HUGE = 300 * 1024 * 1024


def _product_request(extra: str) -> bytes:
    """The recorded Product_AddUpdate with ``extra`` elements in its first product."""
    raw = (FIXTURES / "Product_AddUpdate.new.request.xml").read_bytes()
    return raw.replace(b"<TemplateId>1</TemplateId>", b"<TemplateId>1</TemplateId>" + extra.encode(), 1)


def _fault(response) -> tuple[str, str]:
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    root = etree.fromstring(response.content)
    code = root.findtext(f".//{{{SOAP12_NS}}}Fault/{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value")
    text = root.findtext(f".//{{{SOAP12_NS}}}Fault/{{{SOAP12_NS}}}Reason/{{{SOAP12_NS}}}Text")
    return code, text


@pytest.mark.parametrize("field", ["Vat", "Price"])
def test_a_23_digit_number_is_a_soap_fault_and_writes_nothing(shop, field):
    response = shop.post_raw(_product_request(f"<{field}>{'1' * 23}</{field}>"))
    code, text = _fault(response)
    # .NET reads it (a decimal holds 28 digits); the database column cannot hold it.
    assert code == "soap:Receiver"
    assert "Server was unable to process request." in text and "Arithmetic overflow" in text
    assert "2889-80" not in shop.app.state.data["product_writes"]


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ("<Vat>" + "9" * 30 + "</Vat>", "Value was either too large or too small for a Decimal."),
        ("<Price>-" + "9" * 40 + ".5</Price>", "Value was either too large or too small for a Decimal."),
        ("<Price>1E5</Price>", "Input string was not in a correct format."),
        ("<FreightClassId>99999999999</FreightClassId>", "too large or too small for an Int32."),
    ],
    ids=["vat_beyond_decimal", "price_beyond_decimal", "exponent", "int32_overflow"],
)
def test_a_number_dotnet_cannot_read_is_the_unreadable_request_fault(shop, element, expected):
    code, text = _fault(shop.post_raw(_product_request(element)))
    assert code == "soap:Sender"
    assert "Server was unable to read request." in text and "There is an error in XML document" in text
    assert expected in text
    assert "2889-80" not in shop.app.state.data["product_writes"]


def test_sensible_values_are_still_written(shop):
    response = shop.post_raw(_product_request("<Price>199.5</Price><Vat>0.25</Vat>"))
    assert response.status_code == 200, response.text
    assert "2889-80" in shop.app.state.data["product_writes"]


def _send_head(shop, length: int, *, auth: bool, extra: str = "") -> socket.socket:
    sock = socket.create_connection((shop.server.host, shop.server.port), timeout=5)
    head = f"POST {ENDPOINT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\n"
    if auth:
        head += f"Authorization: Basic {base64.b64encode(b'sim:sim').decode()}\r\n"
    head += f"Content-Length: {length}\r\n{extra}\r\n"
    sock.sendall(head.encode())
    return sock


def _answer_after_sending_a_little(sock: socket.socket) -> bytes:
    """Send 64 KiB of the promised body, then wait for the answer (the rest is never sent)."""
    sock.sendall(b"x" * 64 * 1024)
    sock.settimeout(5)
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer


def test_a_huge_unauthenticated_body_gets_401_before_it_is_read(shop):
    with _send_head(shop, HUGE, auth=False) as sock:
        answer = _answer_after_sending_a_little(sock)
    # Only 64 KiB of the body was sent: an answer at all means the server did not wait for the rest.
    assert answer.startswith(b"HTTP/1.1 401"), answer[:100]


def test_a_body_over_the_limit_gets_413_before_it_is_read(shop):
    with _send_head(shop, HUGE, auth=True) as sock:
        answer = _answer_after_sending_a_little(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    # The server goes on serving.
    assert shop.post_raw(_product_request("")).status_code == 200


def test_a_chunked_body_is_refused_with_411(shop):
    sock = socket.create_connection((shop.server.host, shop.server.port), timeout=5)
    with sock:
        sock.sendall(
            f"POST {ENDPOINT_PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"5\r\nhello\r\n"
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 411")
