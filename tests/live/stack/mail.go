package stack

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message the SMTP listener accepted.
type Mail struct {
	From     string
	To       []string
	AuthUser string
	Subject  string // decoded
	Body     string // every text part, decoded, concatenated
}

// MailServer is an SMTP submission listener like the one production uses:
// STARTTLS with a certificate from a throwaway CA, AUTH PLAIN (only after
// TLS), and MAIL refused before authentication. A message therefore proves
// that Alertmanager verified the certificate against the CA file it was
// given, upgraded to TLS and logged in with the password from its file.
type MailServer struct {
	Addr     string
	CAPEM    []byte // the CA certificate Alertmanager must trust
	Username string
	Password string

	srv *smtp.Server
	mu  sync.Mutex
	got []Mail
	new chan struct{}
}

func newMailServer(l net.Listener, username, password string) (*MailServer, error) {
	caPEM, cert, err := throwawayCert()
	if err != nil {
		return nil, err
	}
	m := &MailServer{Addr: l.Addr().String(), CAPEM: caPEM, Username: username, Password: password, new: make(chan struct{}, 1)}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{srv: m, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.AllowInsecureAuth = false // AUTH is not even offered before STARTTLS
	s.ReadTimeout = 30 * time.Second
	s.WriteTimeout = 30 * time.Second
	m.srv = s
	go func() { _ = s.Serve(l) }()
	return m, nil
}

// Close stops the listener.
func (m *MailServer) Close() error { return m.srv.Close() }

// Messages returns a copy of everything received so far.
func (m *MailServer) Messages() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.got...)
}

// WaitFor returns the first received message for which match is true,
// waiting up to timeout.
func (m *MailServer) WaitFor(timeout time.Duration, match func(Mail) bool) (Mail, bool) {
	deadline := time.After(timeout)
	for {
		for _, msg := range m.Messages() {
			if match(msg) {
				return msg, true
			}
		}
		select {
		case <-m.new:
		case <-deadline:
			return Mail{}, false
		}
	}
}

type mailSession struct {
	srv      *MailServer
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.srv.Username || password != s.srv.Password {
			return smtp.ErrAuthFailed
		}
		s.authUser = username
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if _, ok := s.conn.TLSConnectionState(); !ok {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	if s.authUser == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	subject, body, err := decodeMessage(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparseable message: " + err.Error()}
	}
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, Mail{From: s.from, To: s.to, AuthUser: s.authUser, Subject: subject, Body: body})
	s.srv.mu.Unlock()
	select {
	case s.srv.new <- struct{}{}:
	default:
	}
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// decodeMessage returns the decoded subject and the decoded text of every
// text/* part (Alertmanager sends multipart/alternative, quoted-printable).
func decodeMessage(raw []byte) (string, string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", "", err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return "", "", err
	}
	var body strings.Builder
	if err := decodePart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &body); err != nil {
		return "", "", err
	}
	return subject, body.String(), nil
}

func decodePart(contentType, encoding string, r io.Reader, out *strings.Builder) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := decodePart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, out); err != nil {
				return err
			}
		}
	}
	if !strings.HasPrefix(mediaType, "text/") {
		return nil
	}
	if strings.EqualFold(encoding, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	out.Write(b)
	out.WriteString("\n")
	return nil
}

// throwawayCert makes a CA and a server certificate for 127.0.0.1 and
// localhost signed by it, valid for one day.
func throwawayCert() ([]byte, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "koprogo live-test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caPEM, tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}, nil
}
