package config

import (
	"strings"
	"testing"
	"time"

	"concierge/internal/i18n"
)

func TestDefaultsAndOverrides(t *testing.T) {
	t.Parallel()
	c, err := Load(func(k string) string {
		return map[string]string{"HTTP_ADDR": "0.0.0.0:9000", "ACCESS_TOKEN_TTL": "5m"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "0.0.0.0:9000" || c.AccessTokenTTL != 5*time.Minute || c.PlatformDomain != "localhost" || c.LogLevel != "info" {
		t.Fatalf("unexpected config %+v", c)
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	t.Parallel()
	_, err := Load(func(k string) string {
		return map[string]string{"ACCESS_TOKEN_TTL": "soon", "RATE_LIMIT_IP": "-1", "LOG_LEVEL": "loud", "ENV": "production"}[k]
	})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"ACCESS_TOKEN_TTL", "RATE_LIMIT_IP", "LOG_LEVEL", "MASTER_KEY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestHelpListsEveryVariable(t *testing.T) {
	t.Parallel()
	h := Help(i18n.MustLoad(), i18n.EN)
	for _, v := range Vars {
		if !strings.Contains(h, v.Name) {
			t.Errorf("help lacks %s", v.Name)
		}
	}
	for _, name := range []string{"HTTP_ADDR", "DATABASE_URL", "REDIS_URL", "MASTER_KEY", "PLATFORM_DOMAIN", "PUBLIC_BASE_URL", "LOG_LEVEL"} {
		if !strings.Contains(h, name) {
			t.Errorf("help lacks the public variable %s", name)
		}
	}
	if !strings.Contains(h, "127.0.0.1:8080") {
		t.Error("help lacks HTTP_ADDR's default")
	}
}

func TestSendTimeoutAndRescue(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.WhatsAppSendTimeout != 15*time.Second || c.WhatsAppSendRescueAfter != 45*time.Second {
		t.Fatalf("send timeout %s, rescue after %s; want the defaults 15s and 45s", c.WhatsAppSendTimeout, c.WhatsAppSendRescueAfter)
	}
	for _, tc := range []struct {
		name, timeout, rescue string
		ok                    bool
	}{
		{name: "rescue after the timeout", timeout: "5s", rescue: "6s", ok: true},
		{name: "rescue equal to the timeout", timeout: "15s", rescue: "15s"},
		{name: "both raised", timeout: "30s", rescue: "90s", ok: true},
		{name: "rescue shorter than the default timeout", rescue: "10s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(func(k string) string {
				return map[string]string{"WHATSAPP_SEND_TIMEOUT": tc.timeout, "WHATSAPP_SEND_RESCUE_AFTER": tc.rescue}[k]
			})
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "WHATSAPP_SEND_RESCUE_AFTER")) {
				t.Fatalf("want WHATSAPP_SEND_RESCUE_AFTER refused, got %v", err)
			}
		})
	}
}

func TestEveryVariableIsExplainedInBothLanguages(t *testing.T) {
	t.Parallel()
	cat := i18n.MustLoad()
	for _, v := range Vars {
		if !cat.Has("config." + v.Name) {
			t.Errorf("%s has no message config.%s", v.Name, v.Name)
		}
	}
	if h := Help(cat, i18n.AR); !strings.Contains(h, "عنوان استماع بوابة HTTP") {
		t.Errorf("Arabic help:\n%s", h)
	}
}

func TestCartDurations(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.CartAbandonAfter != 24*time.Hour || c.CartRetention != 30*24*time.Hour {
		t.Fatalf("abandon after %s, retention %s; want the defaults 24h and 720h", c.CartAbandonAfter, c.CartRetention)
	}
	c, err = Load(func(k string) string {
		return map[string]string{"CART_ABANDON_AFTER": "90m", "CART_RETENTION": "168h"}[k]
	})
	if err != nil || c.CartAbandonAfter != 90*time.Minute || c.CartRetention != 7*24*time.Hour {
		t.Fatalf("overrides: %v %s %s", err, c.CartAbandonAfter, c.CartRetention)
	}
	_, err = Load(func(k string) string {
		return map[string]string{"CART_ABANDON_AFTER": "a day", "CART_RETENTION": "-1h"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "CART_ABANDON_AFTER") || !strings.Contains(err.Error(), "CART_RETENTION") {
		t.Fatalf("bad values must be named: %v", err)
	}
}
