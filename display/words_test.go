package display

import (
	"reflect"
	"testing"
)

// A zero Words is English, every English word is set, and a word that is
// set stays.
func TestWordsOrEnglish(t *testing.T) {
	en := EnglishWords()
	if got := (Words{}).OrEnglish(); got != en {
		t.Errorf("Words{}.OrEnglish() = %+v, want %+v", got, en)
	}
	v := reflect.ValueOf(en)
	for i := range v.NumField() {
		if v.Field(i).String() == "" {
			t.Errorf("EnglishWords().%s is empty", v.Type().Field(i).Name)
		}
	}
	if got := (Words{Code: "Code (de)"}).OrEnglish(); got.Code != "Code (de)" || got.GoTo != en.GoTo {
		t.Errorf("OrEnglish of a set Code = %+v", got)
	}
}
