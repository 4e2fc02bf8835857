package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/oauth2"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/option"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/retry"
)

// DirectoryScope is the scope DirectoryTeams needs: read-only access to
// the users of the Workspace directory.
const DirectoryScope = admin.AdminDirectoryUserReadonlyScope

// maxDirectoryPages bounds one listing (500 users a page: 5 million users).
const maxDirectoryPages = 10_000

// Team is one manager and their direct reports, as the directory's
// manager relation says.
type Team struct {
	Manager string   // canonical email
	Reports []string // canonical emails, sorted
}

// Directory reads a Google Workspace directory (Admin SDK Directory API).
type Directory struct {
	svc   *admin.Service
	retry retry.Policy
	hints hints
	log   *slog.Logger
}

// NewDirectory returns a Directory reader with cfg's credentials. With a
// service account it acts as adminEmail (a Workspace administrator, through
// domain-wide delegation for DirectoryScope); with auth none it talks to
// cfg.Endpoint unauthenticated. A single user's authorization (oauth) does
// not cover the directory.
func NewDirectory(cfg Config, adminEmail string, client *http.Client, logger *slog.Logger) (*Directory, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	root, err := apiRoot(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("google: directory: Endpoint: %w", err)
	}
	if client == nil {
		client = &http.Client{}
	}
	d := &Directory{retry: cfg.Retry, log: logger}
	var hc *http.Client
	switch cfg.Auth {
	case AuthServiceAccount:
		a, err := newAuthority(cfg, root, client, DefaultTimeout, cfg.MaxResponseBytes, logger)
		if err != nil {
			return nil, fmt.Errorf("google: directory: %w", err)
		}
		if !strings.Contains(adminEmail, "@") {
			return nil, errors.New("google: directory: the service account must act as a Workspace administrator; give their email")
		}
		jc := *a.jwt
		jc.Scopes = []string{DirectoryScope}
		jc.Subject = calendar.CanonicalEmail(adminEmail)
		c := *a.base
		c.Transport = &oauth2.Transport{Source: jc.TokenSource(a.tokenCtx), Base: a.base.Transport}
		hc = &c
		d.hints.delegation = DirectoryScope
	case AuthNone:
		if root == "" {
			return nil, errors.New("google: directory: Endpoint: empty; auth none talks to an emulator or proxy, which Endpoint must name")
		}
		a, err := newAuthority(cfg, root, client, DefaultTimeout, cfg.MaxResponseBytes, logger)
		if err != nil {
			return nil, fmt.Errorf("google: directory: %w", err)
		}
		hc = a.base
	default:
		return nil, fmt.Errorf("google: directory: auth %q cannot read the directory; use a service account with domain-wide delegation", clip(cfg.Auth, 40))
	}
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if root != "" {
		opts = append(opts, option.WithEndpoint(root))
	}
	d.svc, err = admin.NewService(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("google: directory: %w", err)
	}
	return d, nil
}

// DirectoryTeams lists the customer's users (customer "my_customer" is the
// administrator's own organisation) and groups them by the manager their
// `relations` name (type "manager"). Suspended and archived users are left
// out: they have no 1:1s. Teams are sorted by manager, reports by email.
func DirectoryTeams(ctx context.Context, d *Directory, customer string) ([]Team, error) {
	if customer == "" {
		customer = "my_customer"
	}
	reports := map[string][]string{}
	page := ""
	for n := 0; ; n++ {
		if n >= maxDirectoryPages {
			return nil, fmt.Errorf("google: directory: more than %d pages", maxDirectoryPages)
		}
		var resp *admin.Users
		err := retry.Do(ctx, d.retry, func(ctx context.Context) error {
			call := d.svc.Users.List().Customer(customer).MaxResults(500).
				Fields("nextPageToken,users(primaryEmail,relations,suspended,archived)").Context(ctx)
			if page != "" {
				call.PageToken(page)
			}
			r, err := call.Do()
			resp = r
			return classify("users.list", err, d.hints)
		})
		if err != nil {
			return nil, fmt.Errorf("google: directory: %w", err)
		}
		for _, u := range resp.Users {
			if u == nil || u.Suspended || u.Archived {
				continue
			}
			email := calendar.CanonicalEmail(u.PrimaryEmail)
			if manager := managerOf(u.Relations); manager != "" && email != "" && manager != email {
				reports[manager] = append(reports[manager], email)
			}
		}
		if resp.NextPageToken == "" {
			break
		}
		if resp.NextPageToken == page {
			return nil, errors.New("google: directory: users.list: the server repeated its page token")
		}
		page = resp.NextPageToken
	}
	out := make([]Team, 0, len(reports))
	for m, rs := range reports {
		slices.Sort(rs)
		out = append(out, Team{Manager: m, Reports: slices.Compact(rs)})
	}
	slices.SortFunc(out, func(a, b Team) int { return strings.Compare(a.Manager, b.Manager) })
	return out, nil
}

// managerOf reads the manager among a user's relations, which the API
// types as arbitrary JSON.
func managerOf(relations any) string {
	if relations == nil {
		return ""
	}
	b, err := json.Marshal(relations)
	if err != nil {
		return ""
	}
	var rs []admin.UserRelation
	if json.Unmarshal(b, &rs) != nil {
		return ""
	}
	for _, r := range rs {
		if strings.EqualFold(r.Type, "manager") && strings.Contains(r.Value, "@") {
			return calendar.CanonicalEmail(r.Value)
		}
	}
	return ""
}
