"""SOAP 1.2 in and out, shaped like the ASMX service's recorded responses.

Responses are written as text, not serialised from a tree, so that they keep the recorded shape
byte for byte: XML declaration without a newline, ``soap`` prefix, ``xsi`` before ``xsd``,
self-closed empty elements with a space (``<Message />``) and ``xsi:nil="true"`` for nulls.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from lxml import etree

from connectors.jetshop.wire import SERVICE_NS, SOAP12_NS, XSI_NS

ENVELOPE_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
    "<soap:Body>"
)
ENVELOPE_TAIL = "</soap:Body></soap:Envelope>"
PREFIX = "{" + SERVICE_NS + "}"
CUT = len(PREFIX)
NIL = "{" + XSI_NS + "}nil"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_END = "\n   --- End of inner exception stack trace ---"
_UNABLE = "System.Web.Services.Protocols.SoapException: Server was unable to read request."


class SoapFault(Exception):
    """Raised by a handler; rendered as HTTP 500 with a SOAP 1.2 fault."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def el(name: str, value: str | None) -> str:
    if value is None:
        return f'<{name} xsi:nil="true" />'
    if value == "":
        return f"<{name} />"
    return f"<{name}>{escape(value)}</{name}>"


def wrap(name: str, inner: str) -> str:
    return f"<{name}>{inner}</{name}>" if inner else f"<{name} />"


def response(operation: str, result_inner: str) -> bytes:
    result = wrap(operation + "Result", result_inner)
    return (
        f'{ENVELOPE_HEAD}<{operation}Response xmlns="WebServiceProvider">{result}'
        f"</{operation}Response>{ENVELOPE_TAIL}"
    ).encode()


def fault_body(code: str, text: str) -> bytes:
    return (
        f"{ENVELOPE_HEAD}<soap:Fault><soap:Code><soap:Value>{code}</soap:Value></soap:Code>"
        f'<soap:Reason><soap:Text xml:lang="en">{escape(text)}</soap:Text></soap:Reason>'
        f"<soap:Detail /></soap:Fault>{ENVELOPE_TAIL}"
    ).encode()


class Request:
    """A parsed request: the operation element, the ShopId header and the raw text (for positions)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        try:
            root = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise SoapFault(
                "soap:Sender", f"{_UNABLE} ---> System.Xml.XmlException: {exc}\n   --- End of inner exception"
            ) from exc
        body = root.find(f"{{{SOAP12_NS}}}Body")
        if body is None or len(body) == 0 or not isinstance(body[0].tag, str):
            raise SoapFault(
                "soap:Sender",
                "System.Web.Services.Protocols.SoapException: Unable to handle request without a valid "
                "action parameter. Please supply a valid soap action.",
            )
        self.op = body[0]
        self.namespace, _, self.operation = self.op.tag[1:].partition("}")
        self.shop_id = root.findtext(f"{{{SOAP12_NS}}}Header/ShopId")


def children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    if parent is None:
        return []
    return parent.findall(PREFIX + name)


def find(parent: etree._Element | None, name: str) -> etree._Element | None:
    return None if parent is None else parent.find(PREFIX + name)


def value(element: etree._Element) -> str | None:
    """Element text; ``None`` for ``xsi:nil``; ``""`` for an empty element."""
    if element.get(NIL) == "true":
        return None
    return element.text or ""


def reader_position(raw: bytes, element: etree._Element) -> tuple[int, int]:
    """Where .NET's XmlReader stands when it rejects ``element``'s value: (line, column).

    It has read past the element and reports the name of the next tag, e.g. ``(9, 190)`` in the
    recorded fault points at ``StockData`` in ``</StockData>`` right after the nil DeliveryDate.
    """
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    line_no = element.sourceline or 1
    same_line = [e for e in element.getroottree().iter(element.tag) if e.sourceline == line_no]
    nth = same_line.index(element) if element in same_line else 0
    offset = sum(len(line) + 1 for line in lines[: line_no - 1])
    name = element.tag[CUT:] if element.tag.startswith(PREFIX) else element.tag
    pos = offset
    for _ in range(nth + 1):
        pos = text.index("<" + name, pos) + 1
    close = text.index(">", pos)
    if text[close - 1] != "/":  # not self-closed: skip to the end tag
        close = text.index(">", text.index("</" + name, close))
    nxt = text.index("<", close)
    name_at = nxt + (2 if text[nxt + 1 : nxt + 2] == "/" else 1)
    line = text.count("\n", 0, name_at) + 1
    column = name_at - (text.rfind("\n", 0, name_at) + 1) + 1
    return line, column


_INNER = {
    "datetime": (
        "System.FormatException: The string '{value}' is not a valid AllXsd value.\n"
        "   at System.Xml.Schema.XsdDateTime..ctor(String text, XsdDateTimeFlags kinds)\n"
        "   at System.Xml.XmlConvert.ToDateTime(String s, XmlDateTimeSerializationMode dateTimeOption)"
    ),
    "int": (
        "System.FormatException: Input string was not in a correct format.\n"
        "   at System.Number.StringToNumber(String str, NumberStyles options, NumberBuffer& number, "
        "NumberFormatInfo info, Boolean parseDecimal)\n"
        "   at System.Number.ParseInt32(String s, NumberStyles style, NumberFormatInfo info)\n"
        "   at System.Xml.XmlConvert.ToInt32(String s)"
    ),
    "decimal": (
        "System.FormatException: Input string was not in a correct format.\n"
        "   at System.Number.ParseDecimal(String value, NumberStyles options, NumberFormatInfo numfmt)\n"
        "   at System.Xml.XmlConvert.ToDecimal(String s)"
    ),
    "int_overflow": (
        "System.OverflowException: Value was either too large or too small for an Int32.\n"
        "   at System.Number.ParseInt32(String s, NumberStyles style, NumberFormatInfo info)\n"
        "   at System.Xml.XmlConvert.ToInt32(String s)"
    ),
    "decimal_overflow": (
        "System.OverflowException: Value was either too large or too small for a Decimal.\n"
        "   at System.Number.ParseDecimal(String value, NumberStyles options, NumberFormatInfo numfmt)\n"
        "   at System.Xml.XmlConvert.ToDecimal(String s)"
    ),
    "bool": (
        "System.FormatException: The string '{value}' is not a valid Boolean value.\n"
        "   at System.Xml.XmlConvert.ToBoolean(String s)"
    ),
}


def server_error(inner: str) -> SoapFault:
    """The ``soap:Receiver`` fault ASMX gives when the operation itself throws."""
    return SoapFault(
        "soap:Receiver",
        f"System.Web.Services.Protocols.SoapException: Server was unable to process request. ---> {inner}",
    )


def arithmetic_overflow(column_type: str) -> SoapFault:
    """A value .NET read but the database column cannot hold [inferred from SQL Server's message]."""
    return server_error(
        "System.Data.SqlClient.SqlException: Arithmetic overflow error converting numeric to data type "
        f"{column_type}."
    )


def unreadable(
    raw: bytes, element: etree._Element, kind: str, text: str | None, readers: list[str]
) -> SoapFault:
    """The ``soap:Sender`` fault ASMX gives when the XmlSerializer cannot read a field."""
    line, column = reader_position(raw, element)
    inner = _INNER[kind].format(value=text or "")
    frames = "".join(
        f"\n   at Microsoft.Xml.Serialization.GeneratedAssembly.XmlSerializationReader1.{r}" for r in readers
    )
    deserialize = (
        "\n   at System.Xml.Serialization.XmlSerializer.Deserialize(XmlReader xmlReader, "
        "String encodingStyle, XmlDeserializationEvents events)"
    )
    protocol = "\n   at System.Web.Services.Protocols.SoapServerProtocol.ReadParameters()"
    message = (
        f"{_UNABLE} ---> System.InvalidOperationException: There is an error in XML document "
        f"({line}, {column}). ---> {inner}{frames}{deserialize}"
        f"{_END}{deserialize}{protocol}{_END}{protocol}"
        "\n   at System.Web.Services.Protocols.WebServiceHandler.CoreProcessRequest()"
    )
    # .NET writes its stack traces with Windows line ends (the recorded fault has CRLF).
    return SoapFault("soap:Sender", message.replace("\n", "\r\n"))
