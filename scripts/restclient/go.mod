module github.com/pairingd/pairingd/scripts/restclient

go 1.25

require golang.org/x/oauth2 v0.35.0
