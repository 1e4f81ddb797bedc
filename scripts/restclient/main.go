// Command restclient is the smallest device-grant client there is: it
// asks for a code with golang.org/x/oauth2 and polls until the token
// comes. scripts/rest.sh measures it beside pairingd at rest, as the
// floor a Go client polling the same server costs.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"

	"golang.org/x/oauth2"
)

func main() {
	server := flag.String("server", "http://127.0.0.1:18182", "the development server")
	flag.Parse()
	cfg := oauth2.Config{
		ClientID: "rest",
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: *server + "/device_authorization",
			TokenURL:      *server + "/token",
		},
	}
	ctx := context.Background()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		log.Fatalf("device authorization: %v", err)
	}
	fmt.Printf("Code: %s\n", da.UserCode)
	if _, err := cfg.DeviceAccessToken(ctx, da); err != nil {
		log.Fatalf("token: %v", err)
	}
	fmt.Println("Paired")
}
