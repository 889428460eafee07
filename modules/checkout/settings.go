package checkout

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/plugins/payments"
	"concierge/tenants"
)

// ProviderSettings are a tenant's settings of one provider as staff see
// them: values of the non-secret fields (defaults filled in) and, for each
// secret, only whether it is set.
type ProviderSettings struct {
	Provider   string
	Enabled    bool
	Values     map[string]string
	SecretsSet map[string]bool
	UpdatedAt  *time.Time
	// Fields are the provider's fields, in its order (for a form).
	Fields []payments.Field
}

// SettingsChange is a PUT of one provider's settings: Enabled (nil keeps
// it), the non-secret values (every field not given returns to its
// default) and the secrets given (a secret not given keeps the stored one).
type SettingsChange struct {
	Enabled *bool
	Values  map[string]string
	Secrets map[string]string
}

func sealContext(tenantID, provider, field string) string {
	return "payments:" + tenantID + ":" + provider + ":" + field
}

// PaymentSettings returns the settings of every registered provider.
func (s *Service) PaymentSettings(ctx context.Context) ([]ProviderSettings, error) {
	var out []ProviderSettings
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := getSettings(ctx, tx)
		if err != nil {
			return err
		}
		out = s.viewSettings(rows)
		return nil
	})
	return out, err
}

func (s *Service) viewSettings(rows []settingsRow) []ProviderSettings {
	byName := map[string]settingsRow{}
	for _, r := range rows {
		byName[r.Provider] = r
	}
	var out []ProviderSettings
	for _, name := range s.providers.Names() {
		p, _ := s.providers.Get(name)
		r, stored := byName[name]
		v := ProviderSettings{Provider: name, Enabled: r.Enabled, Values: map[string]string{}, SecretsSet: map[string]bool{}, Fields: p.Fields()}
		if stored {
			u := r.UpdatedAt
			v.UpdatedAt = &u
		}
		for _, f := range p.Fields() {
			if f.Kind == payments.FieldSecret {
				v.SecretsSet[f.Name] = r.Sealed[f.Name] != ""
				continue
			}
			val, ok := r.Fields[f.Name]
			if !ok {
				val = f.Default
			}
			v.Values[f.Name] = val
		}
		out = append(out, v)
	}
	return out
}

// UpdatePaymentSettings applies changes (by provider name) and returns
// every provider's settings. All or nothing. Errors: invalid (an unknown
// provider or field, a value out of its rules, enabling a provider whose
// required fields are missing).
func (s *Service) UpdatePaymentSettings(ctx context.Context, changes map[string]SettingsChange) ([]ProviderSettings, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	var fields []errs.FieldError
	for name := range changes {
		if _, ok := s.providers.Get(name); !ok {
			fields = append(fields, errs.Field(name, "unknown", "checkout.field.provider_unknown", "providers", strings.Join(s.providers.Names(), ", ")))
		}
	}
	if len(fields) > 0 {
		return nil, errs.Invalid(fields...)
	}
	var out []ProviderSettings
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := getSettings(ctx, tx)
		if err != nil {
			return err
		}
		byName := map[string]settingsRow{}
		for _, r := range rows {
			byName[r.Provider] = r
		}
		var fields []errs.FieldError
		var changed []string
		for _, name := range s.providers.Names() {
			ch, ok := changes[name]
			if !ok {
				continue
			}
			p, _ := s.providers.Get(name)
			r := byName[name]
			r.TenantID, r.Provider, r.UpdatedAt = t.ID, name, s.now().UTC()
			if r.Sealed == nil {
				r.Sealed = map[string]string{}
			}
			if ch.Enabled != nil {
				r.Enabled = *ch.Enabled
			}
			r.Fields = map[string]string{}
			fe := s.applyFields(t.ID.String(), p, &r, ch)
			fields = append(fields, fe...)
			if len(fe) == 0 {
				if err := upsertSettings(ctx, tx, &r); err != nil {
					return err
				}
				changed = append(changed, name)
			}
			byName[name] = r
		}
		if len(fields) > 0 {
			return errs.Invalid(fields...)
		}
		rows = rows[:0]
		for _, r := range byName {
			rows = append(rows, r)
		}
		out = s.viewSettings(rows)
		// The audit names what changed, never a secret's value.
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: s.actor(ctx), Action: "payments.settings_updated",
			Target: "tenant:" + t.ID.String(), After: map[string]string{"providers": strings.Join(changed, ",")}})
	})
	return out, err
}

// applyFields checks a change against the provider's fields and writes it
// into r (secrets sealed), returning the field errors.
func (s *Service) applyFields(tenantID string, p payments.Provider, r *settingsRow, ch SettingsChange) []errs.FieldError {
	name := p.Name()
	known := map[string]payments.Field{}
	for _, f := range p.Fields() {
		known[f.Name] = f
	}
	var fields []errs.FieldError
	for k := range ch.Values {
		if f, ok := known[k]; !ok || f.Kind == payments.FieldSecret {
			fields = append(fields, errs.Field(name+"."+k, "unknown", "field.unknown"))
		}
	}
	for k := range ch.Secrets {
		if f, ok := known[k]; !ok || f.Kind != payments.FieldSecret {
			fields = append(fields, errs.Field(name+"."+k, "unknown", "field.unknown"))
		}
	}
	for _, f := range p.Fields() {
		path := name + "." + f.Name
		if f.Kind == payments.FieldSecret {
			v, given := ch.Secrets[f.Name]
			if given {
				if err := checkValue(f, v); err != nil {
					fields = append(fields, errs.Field(path, "invalid", "checkout.field.secret"))
					continue
				}
				sealed, err := s.secrets.Seal(v, sealContext(tenantID, name, f.Name))
				if err != nil {
					fields = append(fields, errs.Field(path, "invalid", "checkout.field.secret"))
					continue
				}
				r.Sealed[f.Name] = sealed
			}
			if f.Required && r.Enabled && r.Sealed[f.Name] == "" {
				fields = append(fields, errs.Field(path, "required", "checkout.field.required_to_enable"))
			}
			continue
		}
		v, given := ch.Values[f.Name]
		if !given {
			if f.Required && r.Enabled && f.Default == "" {
				fields = append(fields, errs.Field(path, "required", "checkout.field.required_to_enable"))
			}
			continue
		}
		if err := checkValue(f, v); err != nil {
			fields = append(fields, *err)
			fields[len(fields)-1].Field = path
			continue
		}
		r.Fields[f.Name] = v
	}
	return fields
}

// checkValue checks one value against its field's kind and bounds.
func checkValue(f payments.Field, v string) *errs.FieldError {
	bad := func(id string, kv ...any) *errs.FieldError {
		fe := errs.Field(f.Name, "invalid", id, kv...)
		return &fe
	}
	switch f.Kind {
	case payments.FieldInt, payments.FieldMoney:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < f.Min || (f.Max > 0 && n > f.Max) {
			return bad("checkout.field.range", "min", f.Min, "max", maxOf(f))
		}
	case payments.FieldDuration:
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Duration(f.Min)*time.Second || (f.Max > 0 && d > time.Duration(f.Max)*time.Second) {
			return bad("checkout.field.duration", "min", (time.Duration(f.Min) * time.Second).String(), "max", (time.Duration(f.Max) * time.Second).String())
		}
	case payments.FieldBool:
		if v != "true" && v != "false" {
			return bad("field.type", "type", "boolean")
		}
	default:
		if v == "" || len(v) > 500 || input.Check(v, input.SingleLine) != nil || (f.Pattern != nil && !f.Pattern.MatchString(v)) {
			return bad("checkout.field.format")
		}
	}
	return nil
}

func maxOf(f payments.Field) string {
	if f.Max == 0 {
		return "∞"
	}
	return strconv.FormatInt(f.Max, 10)
}

// providerSettings returns a provider's settings with secrets opened and
// defaults filled in, read in tx.
func (s *Service) providerSettings(ctx context.Context, tx bun.IDB, p payments.Provider) (payments.Settings, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return payments.Settings{}, err
	}
	r, err := getProviderSettings(ctx, tx, p.Name())
	if err != nil {
		return payments.Settings{}, err
	}
	out := payments.Settings{Values: map[string]string{}}
	if r != nil {
		out.Enabled = r.Enabled
	}
	for _, f := range p.Fields() {
		switch {
		case r != nil && f.Kind == payments.FieldSecret && r.Sealed[f.Name] != "":
			v, err := s.secrets.Open(r.Sealed[f.Name], sealContext(t.ID.String(), p.Name(), f.Name))
			if err != nil {
				return payments.Settings{}, fmt.Errorf("checkout: open %s.%s: %w", p.Name(), f.Name, err)
			}
			out.Values[f.Name] = v
		case r != nil && r.Fields[f.Name] != "":
			out.Values[f.Name] = r.Fields[f.Name]
		default:
			out.Values[f.Name] = f.Default
		}
	}
	return out, nil
}

// ---- HTTP ----

// decodeSettings reads the PUT body: {"<provider>": {"enabled": bool,
// "<field>": value, ...}, ...}. A secret given as {"set": true} (what GET
// shows) keeps the stored one.
func (s *Service) decodeSettings(raw map[string]map[string]json.RawMessage) (map[string]SettingsChange, error) {
	out := map[string]SettingsChange{}
	var fields []errs.FieldError
	for name, obj := range raw {
		p, ok := s.providers.Get(name)
		if !ok {
			fields = append(fields, errs.Field(input.Scrub(name), "unknown", "checkout.field.provider_unknown", "providers", strings.Join(s.providers.Names(), ", ")))
			continue
		}
		kinds := map[string]payments.FieldKind{}
		for _, f := range p.Fields() {
			kinds[f.Name] = f.Kind
		}
		ch := SettingsChange{Values: map[string]string{}, Secrets: map[string]string{}}
		for k, v := range obj {
			path := name + "." + input.Scrub(k)
			if k == "updated_at" {
				continue // GET's answer sent back
			}
			if k == "enabled" {
				var b bool
				if err := json.Unmarshal(v, &b); err != nil {
					fields = append(fields, errs.Field(path, "type", "field.type", "type", "boolean"))
					continue
				}
				ch.Enabled = &b
				continue
			}
			kind, ok := kinds[k]
			if !ok {
				fields = append(fields, errs.Field(path, "unknown", "field.unknown"))
				continue
			}
			switch kind {
			case payments.FieldSecret:
				var str string
				if json.Unmarshal(v, &str) == nil {
					ch.Secrets[k] = strings.TrimSpace(str)
					continue
				}
				var echo struct {
					Set bool `json:"set"`
				}
				if json.Unmarshal(v, &echo) != nil {
					fields = append(fields, errs.Field(path, "type", "field.type", "type", "string"))
				}
			case payments.FieldInt, payments.FieldMoney:
				var n int64
				if err := json.Unmarshal(v, &n); err != nil {
					fields = append(fields, errs.Field(path, "type", "field.type", "type", "integer"))
					continue
				}
				ch.Values[k] = strconv.FormatInt(n, 10)
			case payments.FieldBool:
				var b bool
				if err := json.Unmarshal(v, &b); err != nil {
					fields = append(fields, errs.Field(path, "type", "field.type", "type", "boolean"))
					continue
				}
				ch.Values[k] = strconv.FormatBool(b)
			default:
				var str string
				if err := json.Unmarshal(v, &str); err != nil {
					fields = append(fields, errs.Field(path, "type", "field.type", "type", "string"))
					continue
				}
				ch.Values[k] = strings.TrimSpace(str)
			}
		}
		out[name] = ch
	}
	fields = append(fields, s.checkChanges(out)...)
	if len(fields) > 0 {
		return nil, errs.Invalid(fields...)
	}
	return out, nil
}

// checkChanges checks every given value against its field (what needs no
// stored settings), so one answer names every bad field.
func (s *Service) checkChanges(changes map[string]SettingsChange) []errs.FieldError {
	var fields []errs.FieldError
	for name, ch := range changes {
		p, ok := s.providers.Get(name)
		if !ok {
			continue
		}
		for _, f := range p.Fields() {
			v, given := ch.Values[f.Name]
			if f.Kind == payments.FieldSecret {
				v, given = ch.Secrets[f.Name]
			}
			if !given {
				continue
			}
			if fe := checkValue(f, v); fe != nil {
				fe.Field = name + "." + f.Name
				if f.Kind == payments.FieldSecret {
					fe.Msg = errs.M("checkout.field.secret")
				}
				fields = append(fields, *fe)
			}
		}
	}
	return fields
}

// encodeSettings is the GET shape: each provider's object with "enabled",
// its values (numbers as numbers) and {"set": bool} for each secret.
func (s *Service) encodeSettings(all []ProviderSettings) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, v := range all {
		p, _ := s.providers.Get(v.Provider)
		obj := map[string]any{"enabled": v.Enabled}
		for _, f := range p.Fields() {
			if f.Kind == payments.FieldSecret {
				obj[f.Name] = map[string]bool{"set": v.SecretsSet[f.Name]}
				continue
			}
			val := v.Values[f.Name]
			switch f.Kind {
			case payments.FieldInt, payments.FieldMoney:
				n, _ := strconv.ParseInt(val, 10, 64)
				obj[f.Name] = n
			case payments.FieldBool:
				obj[f.Name] = val == "true"
			default:
				obj[f.Name] = val
			}
		}
		if v.UpdatedAt != nil {
			obj["updated_at"] = v.UpdatedAt
		}
		out[v.Provider] = obj
	}
	return out
}
