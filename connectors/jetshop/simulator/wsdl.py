"""A WSDL 1.1 document (SOAP 1.2 binding) generated from the simulator's operation table.

It lets the connector's WSDL-driven discovery (``JetshopClient.missing_operations``) be tested.
The message schemas are deliberately loose (``xs:any``): the real shapes of the order operations
are unknown, and the verified ones are documented by the recorded samples, not by this file.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from connectors.jetshop.wire import SERVICE_NS


def render(operations: list[str], location: str) -> bytes:
    elements, messages, port_ops, binding_ops = [], [], [], []
    for op in operations:
        elements.append(
            f'<s:element name="{op}"><s:complexType><s:sequence><s:any minOccurs="0" maxOccurs="unbounded"'
            ' processContents="lax" /></s:sequence></s:complexType></s:element>'
            f'<s:element name="{op}Response"><s:complexType><s:sequence>'
            f'<s:element minOccurs="0" maxOccurs="1" name="{op}Result"><s:complexType><s:sequence>'
            '<s:any minOccurs="0" maxOccurs="unbounded" processContents="lax" /></s:sequence>'
            "</s:complexType></s:element></s:sequence></s:complexType></s:element>"
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
