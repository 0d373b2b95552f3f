package open311

import (
	"encoding/xml"
	"strconv"
)

// The JSON shapes of GeoReport v2. Optional values the specification allows
// to be null are pointers, so that JSON carries null rather than "".

// Service is one entry of services.json.
type Service struct {
	ServiceCode string  `json:"service_code"`
	ServiceName string  `json:"service_name"`
	Description *string `json:"description"`
	Metadata    bool    `json:"metadata"`
	Type        string  `json:"type"`
	Keywords    *string `json:"keywords"`
	Group       *string `json:"group"`
}

// ServiceDefinition is services/{code}.json.
type ServiceDefinition struct {
	ServiceCode string      `json:"service_code"`
	Attributes  []Attribute `json:"attributes"`
}

// Attribute is one attribute of a service definition.
type Attribute struct {
	Variable            bool             `json:"variable"`
	Code                string           `json:"code"`
	Datatype            string           `json:"datatype"`
	Required            bool             `json:"required"`
	DatatypeDescription *string          `json:"datatype_description"`
	Order               int              `json:"order"`
	Description         *string          `json:"description"`
	Values              []AttributeValue `json:"values,omitempty"`
}

// AttributeValue is one choice of a list attribute.
type AttributeValue struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// Request is one service request of requests.json.
type Request struct {
	ServiceRequestID  string   `json:"service_request_id"`
	Status            string   `json:"status"`
	StatusNotes       *string  `json:"status_notes"`
	ServiceName       *string  `json:"service_name"`
	ServiceCode       string   `json:"service_code"`
	Description       *string  `json:"description"`
	AgencyResponsible *string  `json:"agency_responsible"`
	ServiceNotice     *string  `json:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime"`
	UpdatedDatetime   *string  `json:"updated_datetime"`
	ExpectedDatetime  *string  `json:"expected_datetime"`
	Address           *string  `json:"address"`
	AddressID         *string  `json:"address_id"`
	Zipcode           *string  `json:"zipcode"`
	Lat               *float64 `json:"lat"`
	Long              *float64 `json:"long"`
	MediaURL          *string  `json:"media_url"`
}

// PostResult is the answer to POST requests.json.
type PostResult struct {
	ServiceRequestID *string `json:"service_request_id"`
	Token            *string `json:"token"`
	ServiceNotice    *string `json:"service_notice"`
	AccountID        *string `json:"account_id"`
}

// TokenResult is tokens/{token}.json.
type TokenResult struct {
	ServiceRequestID *string `json:"service_request_id"`
	Token            string  `json:"token"`
}

// Update is one entry of servicerequestupdates.json.
type Update struct {
	UpdateID         string  `json:"update_id"`
	ServiceRequestID string  `json:"service_request_id"`
	Status           string  `json:"status"`
	UpdatedDatetime  string  `json:"updated_datetime"`
	Description      string  `json:"description"`
	MediaURL         *string `json:"media_url"`
}

// Error is one entry of an error answer.
type Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// Discovery is discovery.json.
type Discovery struct {
	Changeset  string              `json:"changeset"`
	Contact    string              `json:"contact"`
	KeyService string              `json:"key_service"`
	Endpoints  []DiscoveryEndpoint `json:"endpoints"`
}

// DiscoveryEndpoint is one endpoint the discovery names.
type DiscoveryEndpoint struct {
	Specification string   `json:"specification"`
	URL           string   `json:"url"`
	Changeset     string   `json:"changeset"`
	Type          string   `json:"type"`
	Formats       []string `json:"formats"`
}

// The XML shapes: the same data, with empty elements for null values and no
// namespace.

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

type xmlServices struct {
	XMLName  xml.Name     `xml:"services"`
	Services []xmlService `xml:"service"`
}

type xmlService struct {
	ServiceCode string `xml:"service_code"`
	ServiceName string `xml:"service_name"`
	Description string `xml:"description"`
	Metadata    bool   `xml:"metadata"`
	Type        string `xml:"type"`
	Keywords    string `xml:"keywords"`
	Group       string `xml:"group"`
}

func servicesXML(in []Service) xmlServices {
	out := xmlServices{Services: []xmlService{}}
	for _, s := range in {
		out.Services = append(out.Services, xmlService{s.ServiceCode, s.ServiceName, str(s.Description), s.Metadata, s.Type, str(s.Keywords), str(s.Group)})
	}
	return out
}

type xmlDefinition struct {
	XMLName     xml.Name       `xml:"service_definition"`
	ServiceCode string         `xml:"service_code"`
	Attributes  []xmlAttribute `xml:"attributes>attribute"`
}

type xmlAttribute struct {
	Variable            bool             `xml:"variable"`
	Code                string           `xml:"code"`
	Datatype            string           `xml:"datatype"`
	Required            bool             `xml:"required"`
	DatatypeDescription string           `xml:"datatype_description"`
	Order               int              `xml:"order"`
	Description         string           `xml:"description"`
	Values              []AttributeValue `xml:"values>value"`
}

func definitionXML(d ServiceDefinition) xmlDefinition {
	out := xmlDefinition{ServiceCode: d.ServiceCode}
	for _, a := range d.Attributes {
		out.Attributes = append(out.Attributes, xmlAttribute{a.Variable, a.Code, a.Datatype, a.Required, str(a.DatatypeDescription), a.Order, str(a.Description), a.Values})
	}
	return out
}

type xmlRequests struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []xmlRequest `xml:"request"`
}

type xmlRequest struct {
	ServiceRequestID  string `xml:"service_request_id"`
	Status            string `xml:"status"`
	StatusNotes       string `xml:"status_notes"`
	ServiceName       string `xml:"service_name"`
	ServiceCode       string `xml:"service_code"`
	Description       string `xml:"description"`
	AgencyResponsible string `xml:"agency_responsible"`
	ServiceNotice     string `xml:"service_notice"`
	RequestedDatetime string `xml:"requested_datetime"`
	UpdatedDatetime   string `xml:"updated_datetime"`
	ExpectedDatetime  string `xml:"expected_datetime"`
	Address           string `xml:"address"`
	AddressID         string `xml:"address_id"`
	Zipcode           string `xml:"zipcode"`
	Lat               string `xml:"lat"`
	Long              string `xml:"long"`
	MediaURL          string `xml:"media_url"`
}

func requestsXML(in []Request) xmlRequests {
	out := xmlRequests{Requests: []xmlRequest{}}
	for _, r := range in {
		out.Requests = append(out.Requests, xmlRequest{r.ServiceRequestID, r.Status, str(r.StatusNotes), str(r.ServiceName), r.ServiceCode,
			str(r.Description), str(r.AgencyResponsible), str(r.ServiceNotice), r.RequestedDatetime, str(r.UpdatedDatetime), str(r.ExpectedDatetime),
			str(r.Address), str(r.AddressID), str(r.Zipcode), num(r.Lat), num(r.Long), str(r.MediaURL)})
	}
	return out
}

type xmlPostResults struct {
	XMLName xml.Name        `xml:"service_requests"`
	Results []xmlPostResult `xml:"request"`
}

type xmlPostResult struct {
	ServiceRequestID string `xml:"service_request_id"`
	Token            string `xml:"token"`
	ServiceNotice    string `xml:"service_notice"`
	AccountID        string `xml:"account_id"`
}

func postResultsXML(in []PostResult) xmlPostResults {
	var out xmlPostResults
	for _, r := range in {
		out.Results = append(out.Results, xmlPostResult{str(r.ServiceRequestID), str(r.Token), str(r.ServiceNotice), str(r.AccountID)})
	}
	return out
}

type xmlTokens struct {
	XMLName xml.Name   `xml:"service_requests"`
	Tokens  []xmlToken `xml:"request"`
}

type xmlToken struct {
	ServiceRequestID string `xml:"service_request_id"`
	Token            string `xml:"token"`
}

func tokensXML(in []TokenResult) xmlTokens {
	var out xmlTokens
	for _, t := range in {
		out.Tokens = append(out.Tokens, xmlToken{str(t.ServiceRequestID), t.Token})
	}
	return out
}

type xmlUpdates struct {
	XMLName xml.Name    `xml:"service_request_updates"`
	Updates []xmlUpdate `xml:"request_update"`
}

type xmlUpdate struct {
	UpdateID         string `xml:"update_id"`
	ServiceRequestID string `xml:"service_request_id"`
	Status           string `xml:"status"`
	UpdatedDatetime  string `xml:"updated_datetime"`
	Description      string `xml:"description"`
	MediaURL         string `xml:"media_url"`
}

func updatesXML(in []Update) xmlUpdates {
	out := xmlUpdates{Updates: []xmlUpdate{}}
	for _, u := range in {
		out.Updates = append(out.Updates, xmlUpdate{u.UpdateID, u.ServiceRequestID, u.Status, u.UpdatedDatetime, u.Description, str(u.MediaURL)})
	}
	return out
}

type xmlErrors struct {
	XMLName xml.Name `xml:"errors"`
	Errors  []Error  `xml:"error"`
}

type xmlDiscovery struct {
	XMLName    xml.Name               `xml:"discovery"`
	Changeset  string                 `xml:"changeset"`
	Contact    string                 `xml:"contact"`
	KeyService string                 `xml:"key_service"`
	Endpoints  []xmlDiscoveryEndpoint `xml:"endpoints>endpoint"`
}

type xmlDiscoveryEndpoint struct {
	Specification string   `xml:"specification"`
	URL           string   `xml:"url"`
	Changeset     string   `xml:"changeset"`
	Type          string   `xml:"type"`
	Formats       []string `xml:"formats>format"`
}

func discoveryXML(d Discovery) xmlDiscovery {
	out := xmlDiscovery{Changeset: d.Changeset, Contact: d.Contact, KeyService: d.KeyService}
	for _, e := range d.Endpoints {
		out.Endpoints = append(out.Endpoints, xmlDiscoveryEndpoint(e))
	}
	return out
}
