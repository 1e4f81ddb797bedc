package devauth

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
)

// pageTmpl is the verification page (RFC 8628 §3.3) and its answers.
// html/template escapes every value by context.
var pageTmpl = template.Must(template.New("device").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Heading}} · pairingd development authorization server</title>
<style>
body { font-family: sans-serif; max-width: 34em; margin: 2em auto; padding: 0 1em; }
.dev { background: #fde68a; border: 1px solid #b45309; padding: .5em 1em; }
.err { color: #b91c1c; }
input[name=user_code] { font: 1.5em monospace; letter-spacing: .1em; text-transform: uppercase; width: 10em; }
button { font-size: 1.1em; margin: .5em .5em 0 0; }
</style>
</head>
<body>
<p class="dev"><strong>DEVELOPMENT SERVER</strong>, not for production: anyone who can open this page can approve any device.</p>
<h1>{{.Heading}}</h1>
{{with .Message}}<p{{if $.Error}} class="err"{{end}}>{{.}}</p>{{end}}
{{with .Client}}<p>Client <code>{{.}}</code>{{with $.Scope}} asks for scope <code>{{.}}</code>{{end}}.</p>{{end}}
{{with .Profile}}<p>Emulating: {{.}}.</p>{{end}}
{{if .ShowForm}}
<form method="post" action="{{.Action}}">
<p><label>Code shown on the device:<br>
<input name="user_code" value="{{.UserCode}}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" required autofocus></label></p>
{{if .Expiries}}<p><label>Token expires after:
<select name="expires_in">{{range .Expiries}}<option value="{{.}}"{{if eq . $.Expiry}} selected{{end}}>{{.}}</option>{{end}}</select></label></p>{{end}}
{{if .ShowSite}}<p><label>Site (domain) the device joins:<br>
<input name="site" value="{{.Site}}" maxlength="253" required></label></p>{{end}}
<p><button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button></p>
</form>
{{end}}
</body>
</html>
`))

type pageData struct {
	Heading  string
	Message  string
	Error    bool
	Client   string
	Scope    string
	ShowForm bool
	Action   string
	UserCode string
	Profile  string
	// Expiries, when set, offers RomM's token expiry choice; Expiry is
	// the preselected one.
	Expiries []string
	Expiry   string
	// ShowSite offers DFC's site choice, Site preset.
	ShowSite bool
	Site     string
}

func (s *Server) writePage(w http.ResponseWriter, status int, d pageData) {
	d.Action = s.prefix + "/device"
	if s.prof.name != ProfileRFC8628 {
		d.Profile = s.prof.description
	}
	if d.ShowForm && s.prof.page != nil {
		s.prof.page(s, &d)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// No scripts at all, no framing (clickjacking the Approve button), and
	// the form may only post back here.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, d); err != nil {
		s.log.Warn("writing device page", "error", err)
	}
}

// maxUserCodeInput bounds what is echoed back from the query or form.
const maxUserCodeInput = 32

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxUserCodeInput {
		s = s[:maxUserCodeInput]
	}
	return s
}

func (s *Server) serveDevicePage(w http.ResponseWriter, r *http.Request) {
	d := pageData{
		Heading:  "Connect a device",
		Message:  "Enter the code shown on the device, then approve or deny it.",
		ShowForm: true,
		UserCode: clip(r.URL.Query().Get("user_code")),
	}
	if g, ok := s.lookupUserCode(d.UserCode); ok {
		d.UserCode = g.userCode
		d.Client = g.clientID
		d.Scope = g.scope
	}
	s.writePage(w, http.StatusOK, d)
}

func (s *Server) serveDeviceDecision(w http.ResponseWriter, r *http.Request) {
	form, oerr := readForm(w, r)
	if oerr != nil {
		s.writePage(w, oerr.status, pageData{Heading: "Bad request", Message: oerr.Description, Error: true, ShowForm: true})
		return
	}
	code := clip(form.Get("user_code"))
	bad := func(status int, msg string) {
		s.writePage(w, status, pageData{Heading: "Not done", Message: msg, Error: true, ShowForm: true, UserCode: code})
	}
	if code == "" {
		bad(http.StatusBadRequest, "Enter the code shown on the device.")
		return
	}
	var (
		err     error
		heading string
	)
	// RomM's expiry and DFC's site, when the page offered them; a
	// script's bare approve takes the defaults.
	choice := approval{expiry: form.Get("expires_in"), site: strings.TrimSpace(form.Get("site"))}
	switch strings.ToLower(form.Get("action")) {
	case "approve":
		err, heading = s.decide(code, approved, choice), "Device approved"
	case "deny":
		err, heading = s.decide(code, denied, choice), "Device denied"
	default:
		bad(http.StatusBadRequest, `The action must be "approve" or "deny".`)
		return
	}
	switch {
	case errors.Is(err, ErrUnknownUserCode):
		bad(http.StatusNotFound, "No device is waiting with this code. Check it, or start again on the device.")
	case errors.Is(err, ErrExpiredUserCode):
		bad(http.StatusBadRequest, "This code has expired. Start again on the device to get a new one.")
	case errors.Is(err, ErrBadApproval):
		bad(http.StatusBadRequest, err.Error())
	case errors.Is(err, ErrAlreadyDecided):
		bad(http.StatusConflict, "This device was already approved or denied.")
	case err != nil:
		bad(http.StatusInternalServerError, err.Error())
	default:
		msg := "You can close this page; the device will finish connecting by itself."
		if heading == "Device denied" {
			msg = "The device will not be connected."
		}
		s.writePage(w, http.StatusOK, pageData{Heading: heading, Message: msg})
	}
}
