"""A WSDL 1.1 document (SOAP 1.2 binding) generated from the simulator's operation table.

It lets the connector's WSDL-driven discovery (``JetshopClient.missing_operations``) be tested.
The order operations are the simulator's own placeholders, so their parameters are declared
exactly (``orders.PARAMETERS``). The verified product operations keep a loose ``xs:any``: their
shapes are documented by the recorded samples, and a hand-written schema here could only drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import quoteattr

from connectors.jetshop.wire import SERVICE_NS

_XSD_TYPES = {"int": "s:int", "datetime": "s:dateTime", "bool": "s:boolean", "text": "s:string"}
_ANY = '<s:any minOccurs="0" maxOccurs="unbounded" processContents="lax" />'


def _parameter(name: str, kind: str) -> str:
    # As ASMX declares them: value types are required, nullable ones and strings optional.
    optional = kind.endswith("?") or kind == "text"
    occurs = ' minOccurs="0" nillable="true"' if optional else ' minOccurs="1"'
    return f'<s:element{occurs} maxOccurs="1" name="{name}" type="{_XSD_TYPES[kind.rstrip("?")]}" />'


def render(
    operations: Sequence[str],
    location: str,
    parameters: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> bytes:
    """``parameters`` maps an operation to its ``(name, kind)`` list; others get ``xs:any``."""
    parameters = parameters or {}
    elements, messages, port_ops, binding_ops = [], [], [], []
    for op in operations:
        inner = "".join(_parameter(*p) for p in parameters[op]) if op in parameters else _ANY
        elements.append(
            f'<s:element name="{op}"><s:complexType><s:sequence>{inner}</s:sequence>'
            "</s:complexType></s:element>"
            f'<s:element name="{op}Response"><s:complexType><s:sequence>'
            f'<s:element minOccurs="0" maxOccurs="1" name="{op}Result"><s:complexType><s:sequence>'
            f"{_ANY}</s:sequence></s:complexType></s:element></s:sequence></s:complexType></s:element>"
        )
        messages.append(
            f'<wsdl:message name="{op}SoapIn"><wsdl:part name="parameters" element="tns:{op}" />'
            "</wsdl:message>"
            f'<wsdl:message name="{op}SoapOut"><wsdl:part name="parameters" element="tns:{op}Response" />'
            "</wsdl:message>"
        )
        port_ops.append(
            f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}SoapIn" />'
            f'<wsdl:output message="tns:{op}SoapOut" /></wsdl:operation>'
        )
        binding_ops.append(
            f'<wsdl:operation name="{op}">'
            f'<soap12:operation soapAction="{SERVICE_NS}/{op}" style="document" />'
            '<wsdl:input><soap12:body use="literal" /></wsdl:input>'
            '<wsdl:output><soap12:body use="literal" /></wsdl:output></wsdl:operation>'
        )
    text = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<wsdl:definitions xmlns:s="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"'
        f' xmlns:tns="{SERVICE_NS}" targetNamespace="{SERVICE_NS}"'
        ' xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">'
        f'<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="{SERVICE_NS}">'
        f"{''.join(elements)}</s:schema></wsdl:types>"
        f"{''.join(messages)}"
        f'<wsdl:portType name="WebServiceSoap">{"".join(port_ops)}</wsdl:portType>'
        '<wsdl:binding name="WebServiceSoap12" type="tns:WebServiceSoap">'
        '<soap12:binding transport="http://schemas.xmlsoap.org/soap/http" />'
        f"{''.join(binding_ops)}</wsdl:binding>"
        '<wsdl:service name="WebService"><wsdl:port name="WebServiceSoap12" binding="tns:WebServiceSoap12">'
        f"<soap12:address location={quoteattr(location)} /></wsdl:port></wsdl:service>"
        "</wsdl:definitions>"
    )
    return text.encode("utf-8")
