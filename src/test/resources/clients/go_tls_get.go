// GET a path over TLS with Go's crypto/tls twice, the second connection offering the
// first one's session from a ClientSessionCache: Go resumes TLS 1.3 by ticket, and TLS 1.2
// by ticket only (it never offers a session ID). Prints "<status> <sha256 of body> <tls
// version> <resumed>" for the second connection.
// Usage: go run go_tls_get.go PORT CAFILE PATH TLS(1.2|1.3)
package main

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	port, cafile, path, version := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	pem, err := os.ReadFile(cafile)
	if err != nil {
		fail(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	v, name := uint16(tls.VersionTLS12), "TLSv1.2"
	if version == "1.3" {
		v, name = tls.VersionTLS13, "TLSv1.3"
	}
	config := &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: v, MaxVersion: v,
		NextProtos: []string{"http/1.1"}, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	var line string
	for i := 0; i < 2; i++ {
		conn, err := tls.Dial("tcp", "127.0.0.1:"+port, config)
		if err != nil {
			fail(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path)
		// Reading the response also takes a TLS 1.3 NewSessionTicket, which comes first.
		response, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			fail(err)
		}
		body, err := io.ReadAll(response.Body)
		if err != nil {
			fail(err)
		}
		sum := sha256.Sum256(body)
		resumed := "new"
		if conn.ConnectionState().DidResume {
			resumed = "resumed"
		}
		line = fmt.Sprintf("%d %s %s %s", response.StatusCode, hex.EncodeToString(sum[:]), name, resumed)
		conn.Close()
	}
	fmt.Println(line)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
