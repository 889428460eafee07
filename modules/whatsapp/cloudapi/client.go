package cloudapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"concierge/internal/errs"
)

// DefaultBaseURL is Meta's Graph API.
const DefaultBaseURL = "https://graph.facebook.com"

// DefaultVersion is the Graph API version used when NewClient gets none.
const DefaultVersion = "v23.0"

// Cloud API error codes this package classifies (see PermanentCode).
const (
	CodeRateLimitApp         = 4      // application request limit reached
	CodeInvalidParameter     = 100    // invalid parameter
	CodeAccessTokenExpired   = 190    // access token expired or invalid
	CodeRateLimitAccount     = 80007  // WABA rate limit
	CodeThroughput           = 130429 // Cloud API throughput reached
	CodeGeneric              = 131000 // something went wrong (transient)
	CodeRequiredParamMissing = 131008
	CodeParamInvalid         = 131009
	CodeRecipientIsSender    = 131021
	CodeUndeliverable        = 131026
	CodeReengagement         = 131047 // more than 24 hours since the customer last wrote
	CodeUnsupportedType      = 131051
	CodeMediaDownload        = 131052
	CodeMediaUpload          = 131053
	CodePairRateLimit        = 131056 // too many messages to the same customer
	CodeServiceUnavailable   = 131016
)

// Client calls the Cloud API Messages endpoint. It is safe for concurrent
// use and holds no credentials: each call gets its number's Creds.
type Client struct {
	base    string
	version string
	hc      *http.Client
}

// NewClient returns a client for baseURL (DefaultBaseURL in production, the
// sandbox in dev and tests) and Graph API version (DefaultVersion if empty).
// A nil httpClient gets one with a 30-second timeout.
func NewClient(baseURL, version string, httpClient *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if version == "" {
		version = DefaultVersion
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), version: strings.Trim(version, "/"), hc: httpClient}
}

// sendResponse is the Messages API answer.
type sendResponse struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status,omitempty"`
	} `json:"messages"`
	Success bool `json:"success"`
}

// Send posts o to the customer to through the number in creds and returns
// the new message's wamid. Errors are *APIError (classify them with
// IsPermanent and RetryAfter) or, for a message that breaks WhatsApp's
// limits, an httpx "invalid" error (permanent).
func (c *Client) Send(ctx context.Context, creds Creds, to string, o Outgoing) (string, error) {
	body, err := o.Request(to)
	if err != nil {
		return "", err
	}
	resp, err := c.post(ctx, creds, body)
	if err != nil {
		return "", err
	}
	if o.IsReadReceipt() {
		return "", nil
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		// Meta accepted the request but named no message: sending again could
		// duplicate it, so do not retry.
		return "", &APIError{Status: http.StatusOK, Message: "the response names no message id", Permanent: true}
	}
	return resp.Messages[0].ID, nil
}

// MarkRead marks the customer's message wamid as read (blue ticks).
func (c *Client) MarkRead(ctx context.Context, creds Creds, wamid string) error {
	_, err := c.Send(ctx, creds, "", MarkReadMessage(wamid))
	return err
}

func (c *Client) messagesURL(phoneNumberID string) string {
	return c.base + "/" + c.version + "/" + url.PathEscape(phoneNumberID) + "/messages"
}

func (c *Client) post(ctx context.Context, creds Creds, body []byte) (*sendResponse, error) {
	if creds.PhoneNumberID == "" || creds.AccessToken == "" {
		return nil, ErrNoCredentials
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.messagesURL(creds.PhoneNumberID), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("whatsapp: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+creds.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.hc.Do(req)
	if err != nil {
		// Timeouts, refused connections, resets, a cancelled context: try again.
		return nil, &APIError{Message: transportMessage(err), Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, &APIError{Status: res.StatusCode, Message: "read response: " + transportMessage(err), Err: err}
	}
	if res.StatusCode/100 != 2 {
		return nil, ParseError(res, raw)
	}
	var out sendResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, &APIError{Status: res.StatusCode, Message: "the response is not JSON", Permanent: true, Err: err}
	}
	return &out, nil
}

// transportMessage describes a transport error without the request URL.
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// APIError is a failed Cloud API call: Meta's error (Code, Subcode, Message,
// Details) with the HTTP Status, or a transport failure (Status 0, Err set).
// Permanent says retrying the same message cannot succeed; RetryAfter is
// Meta's Retry-After header, if any.
type APIError struct {
	Status     int
	Code       int
	Subcode    int
	Type       string
	Message    string
	Details    string
	FBTraceID  string
	Permanent  bool
	RetryAfter time.Duration
	// Err is the transport or decoding error behind it, if any.
	Err error
}

// Error describes the failure: status, Meta's code, message, details and
// trace id; never the access token or the request URL.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("whatsapp: ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	} else {
		b.WriteString("transport")
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, " code %d", e.Code)
		if e.Subcode != 0 {
			fmt.Fprintf(&b, "/%d", e.Subcode)
		}
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Details != "" {
		b.WriteString(": " + e.Details)
	}
	if e.FBTraceID != "" {
		b.WriteString(" (fbtrace_id " + e.FBTraceID + ")")
	}
	if e.Permanent {
		b.WriteString(" [permanent]")
	}
	return b.String()
}

// Unwrap returns the transport error, so errors.Is(err,
// context.DeadlineExceeded) works.
func (e *APIError) Unwrap() error { return e.Err }

// Auth reports whether the token was refused or lacks the permission (401,
// 403, code 190, 10 or 200–299): someone must fix the number's credentials.
func (e *APIError) Auth() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden ||
		e.Code == CodeAccessTokenExpired || e.Code == 10 || (e.Code >= 200 && e.Code <= 299)
}

// errorBody is Meta's error response.
type errorBody struct {
	Error struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		ErrorData    struct {
			Details string `json:"details"`
		} `json:"error_data"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

// ParseError reads a failed Graph API response (any endpoint: messages,
// media, message_templates) into an *APIError, classified.
func ParseError(res *http.Response, raw []byte) *APIError {
	e := &APIError{Status: res.StatusCode, RetryAfter: parseRetryAfter(res.Header.Get("Retry-After"), time.Now())}
	var eb errorBody
	if json.Unmarshal(raw, &eb) == nil && (eb.Error.Code != 0 || eb.Error.Message != "") {
		e.Code = eb.Error.Code
		e.Subcode = eb.Error.ErrorSubcode
		e.Type = eb.Error.Type
		e.Message = eb.Error.Message
		e.Details = eb.Error.ErrorData.Details
		e.FBTraceID = eb.Error.FBTraceID
	} else {
		e.Message = http.StatusText(res.StatusCode)
	}
	e.Permanent = classify(e.Status, e.Code)
	return e
}

// classify says whether a failure is permanent: Meta's code decides when
// known, else the HTTP status (429, 408 and 5xx are transient, other 4xx
// permanent).
func classify(status, code int) bool {
	if p, known := codeClass(code); known {
		return p
	}
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		return false
	case status >= 400:
		return true
	}
	return false
}

// codeClass is the classification of Meta's error codes.
func codeClass(code int) (permanent, known bool) {
	switch code {
	case 1, 2, CodeRateLimitApp, 17, 32, 613, CodeRateLimitAccount, CodeThroughput, CodeGeneric,
		CodePairRateLimit, CodeServiceUnavailable, 133004: // 17, 32, 613: Graph API call limits
		return false, true
	case CodeInvalidParameter, CodeAccessTokenExpired, CodeRequiredParamMissing, CodeParamInvalid,
		CodeRecipientIsSender, CodeUndeliverable, CodeReengagement, CodeUnsupportedType,
		CodeMediaDownload, CodeMediaUpload:
		return true, true
	}
	if code >= 132000 && code <= 132069 { // template errors
		return true, true
	}
	return false, false
}

// PermanentCode reports whether a Cloud API error code (from an error
// response or a failed status webhook) means the message can never be
// delivered as it is. Unknown codes are not permanent.
func PermanentCode(code int) bool {
	p, _ := codeClass(code)
	return p
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// IsPermanent reports whether err means the message cannot be sent as it is
// (so a job should dead-letter it instead of retrying): a permanent
// *APIError, or an invalid message. Rate limiting, an open breaker,
// transport failures and unknown errors are not permanent.
func IsPermanent(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Permanent
	}
	var im *InvalidMessageError
	if errors.As(err, &im) || errors.Is(err, ErrNoCredentials) {
		return true
	}
	return err != nil && errs.CodeOf(err) == errs.CodeInvalid
}

// ErrNoCredentials is a send without the number's phone_number_id or access
// token: a wiring error, permanent.
var ErrNoCredentials = errors.New("whatsapp: the number's phone_number_id and access token are required")

// RetryAfter is how long to wait before retrying after err: Meta's
// Retry-After header, the per-number rate limit's wait, or the circuit
// breaker's remaining cooldown. Zero means no hint (use the job's backoff).
func RetryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter
	}
	var bo *breakerOpenError
	if errors.As(err, &bo) {
		return bo.remaining
	}
	return 0
}
