package display

// Words are the words a display puts around a screen's texts: the labels
// of the code and the URI, the countdown's wording and the notes in place
// of a QR code, in the screen's language. A display joins a word and its
// value itself ("Code: WDJB-MJHT", "Expires in 9:59"), so the words hold
// no printf verbs. An empty field is English: see OrEnglish.
type Words struct {
	// Code labels the user code: "Code", shown as "Code: WDJB-MJHT".
	Code string
	// GoTo labels the verification URI: "Go to", shown as "Go to: …".
	GoTo string
	// Keys labels the line of actions in plain text: "Keys", shown as
	// "Keys: A new code, Y details".
	Keys string
	// ExpiresIn starts the framebuffer's countdown beside the progress
	// bar: "Expires in", shown as "Expires in 9:59".
	ExpiresIn string
	// CodeExpiresIn starts a countdown line of its own: "Code expires
	// in", shown as "Code expires in 9:59".
	CodeExpiresIn string
	// CodeExpired replaces that line once the code expired: "Code
	// expired".
	CodeExpired string
	// At goes before the wall-clock time of the deadline in a log: "at",
	// shown as "(at 12:41)".
	At string
	// QRTooLong is shown in place of the QR code when its payload is too
	// long for one: "The link is too long for a QR code".
	QRTooLong string
	// ScreenTooSmall is shown in place of the QR code when the screen
	// cannot draw it: "Screen too small for a QR code".
	ScreenTooSmall string
	// Needs goes before the size a terminal needs for the QR code:
	// "needs", shown as "(needs 41×23)" after ScreenTooSmall.
	Needs string
}

// EnglishWords returns the English words: those of a zero Screen.
func EnglishWords() Words {
	return Words{
		Code:           "Code",
		GoTo:           "Go to",
		Keys:           "Keys",
		ExpiresIn:      "Expires in",
		CodeExpiresIn:  "Code expires in",
		CodeExpired:    "Code expired",
		At:             "at",
		QRTooLong:      "The link is too long for a QR code",
		ScreenTooSmall: "Screen too small for a QR code",
		Needs:          "needs",
	}
}

// OrEnglish returns w with each empty field the English word.
func (w Words) OrEnglish() Words {
	en := EnglishWords()
	for _, f := range []struct {
		dst *string
		en  string
	}{
		{&w.Code, en.Code},
		{&w.GoTo, en.GoTo},
		{&w.Keys, en.Keys},
		{&w.ExpiresIn, en.ExpiresIn},
		{&w.CodeExpiresIn, en.CodeExpiresIn},
		{&w.CodeExpired, en.CodeExpired},
		{&w.At, en.At},
		{&w.QRTooLong, en.QRTooLong},
		{&w.ScreenTooSmall, en.ScreenTooSmall},
		{&w.Needs, en.Needs},
	} {
		if *f.dst == "" {
			*f.dst = f.en
		}
	}
	return w
}
