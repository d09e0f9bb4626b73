package deploy

// No container engine, systemd or Kubernetes runs where these tests run, so
// they check the deployment files for what can be checked without one: the
// YAML parses, the manifests agree with each other and with the bot's
// configuration as the README files document it (and as the bot's own
// config.Load reads it), the Dockerfile's steps are what they claim to be
// (and its build stage runs as a script).

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/anning-bot/anning/bot/config"
	"gopkg.in/yaml.v3"
)

const (
	mainREADME    = "../README.md"
	mainHeading   = "## Configuration"
	deployREADME  = "README.md"
	deployHeading = "## Configuration reference"
	namespace     = "anning"
	appLabel      = "anning" // app.kubernetes.io/name of every object
)

// notTheBots are variables the files set for another program.
var notTheBots = map[string]string{
	"OMP_THREAD_LIMIT": "tesseract (OpenMP) thread limit",
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// ---- the configuration tables of the README files ----

// setting is one row of a configuration table.
type setting struct {
	names        []string // a secret's NAME_FILE included
	meaning, def string
}

var (
	tickRe    = regexp.MustCompile("`([^`]+)`")
	envNameRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// configTable reads the first table after heading: | variable | meaning | default |.
// In the variable cell, (`_FILE`) after a name adds NAME_FILE.
func configTable(t *testing.T, path, heading string) []setting {
	t.Helper()
	lines := strings.Split(readFile(t, path), "\n")
	start := slices.Index(lines, heading)
	if start < 0 {
		t.Fatalf("%s: no line %q", path, heading)
	}
	var rows []setting
	inTable := false
	for i, line := range lines[start+1:] {
		if !strings.HasPrefix(line, "|") {
			if inTable || strings.HasPrefix(line, "#") {
				break
			}
			continue
		}
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
		for j := range cells {
			cells[j] = strings.TrimSpace(strings.ReplaceAll(cells[j], "\x00", "|"))
		}
		if len(cells) != 5 {
			t.Fatalf("%s:%d: want 3 columns, got %q", path, start+2+i, line)
		}
		if !inTable {
			if got := strings.Join(cells[1:4], " | "); got != "variable | meaning | default" {
				t.Fatalf("%s:%d: table header is %q, want variable | meaning | default", path, start+2+i, got)
			}
			inTable = true
			continue
		}
		if strings.HasPrefix(cells[1], "---") {
			continue
		}
		s := setting{meaning: cells[2], def: cells[3]}
		for _, m := range tickRe.FindAllStringSubmatch(cells[1], -1) {
			switch name := m[1]; {
			case name == "_FILE" && len(s.names) > 0:
				s.names = append(s.names, s.names[len(s.names)-1]+"_FILE")
			case envNameRe.MatchString(name):
				s.names = append(s.names, name)
			default:
				t.Errorf("%s:%d: %q is not a variable name", path, start+2+i, name)
			}
		}
		if len(s.names) == 0 {
			t.Errorf("%s:%d: no `VARIABLE` in the first cell", path, start+2+i)
		}
		rows = append(rows, s)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no table after %q", path, heading)
	}
	return rows
}

// vars is what the README files say the bot reads.
type vars struct {
	main, deploy []setting
	known        map[string]bool // every name in either table
	secret       map[string]bool // names with a NAME_FILE variant
}

func loadVars(t *testing.T) vars {
	t.Helper()
	v := vars{
		main:   configTable(t, mainREADME, mainHeading),
		deploy: configTable(t, deployREADME, deployHeading),
		known:  map[string]bool{},
		secret: map[string]bool{},
	}
	for _, s := range append(slices.Clone(v.main), v.deploy...) {
		for _, n := range s.names {
			v.known[n] = true
			if base, ok := strings.CutSuffix(n, "_FILE"); ok {
				v.secret[base] = true
			}
		}
	}
	return v
}

// checkName reports a variable name the bot does not know.
func (v vars) checkName(t *testing.T, where, name string) {
	t.Helper()
	if !v.known[name] && notTheBots[name] == "" {
		t.Errorf("%s: %s is in neither configuration table (%s, %s)", where, name, mainREADME, deployREADME)
	}
}

func TestREADMETablesAgree(t *testing.T) {
	v := loadVars(t)
	deployRows := map[string]setting{}
	for _, s := range v.deploy {
		for _, n := range s.names {
			deployRows[n] = s
		}
	}
	inMain := map[string]bool{}
	for _, s := range v.main {
		for _, n := range s.names {
			inMain[n] = true
			d, ok := deployRows[n]
			switch {
			case !ok:
				t.Errorf("%s lacks %s, which %s documents", deployREADME, n, mainREADME)
			case d.def != s.def:
				t.Errorf("default of %s: %s says %q, %s says %q", n, mainREADME, s.def, deployREADME, d.def)
			case strings.Contains(d.meaning, "not yet"):
				t.Errorf("%s: %s is in %s now: remove the \"not yet\"", deployREADME, n, mainREADME)
			}
		}
	}
	// What only the deploy table has must say it is not there yet.
	for _, s := range v.deploy {
		for _, n := range s.names {
			if !inMain[n] && !strings.Contains(s.meaning, "not yet") {
				t.Errorf("%s documents %s, which %s does not: add it there, or say \"not yet\"", deployREADME, n, mainREADME)
			}
		}
	}
}

// The main table lists exactly the settings the bot has (config.Redacted
// names every one), and its (`_FILE`) marks exactly the secrets: with every
// one given as a file, the bot reads them all (Redacted hides them).
func TestTablesMatchTheBot(t *testing.T) {
	v := loadVars(t)
	documented := map[string]bool{}
	for _, s := range v.main {
		for _, n := range s.names {
			if !strings.HasSuffix(n, "_FILE") {
				documented[n] = true
			}
		}
	}
	bots := map[string]bool{}
	for _, kv := range (config.Config{}).Redacted() {
		name, _, _ := strings.Cut(kv, "=")
		bots[name] = true
		if !documented[name] {
			t.Errorf("the bot reads %s, which %s's table lacks", name, mainREADME)
		}
	}
	for name := range documented {
		if !bots[name] {
			t.Errorf("%s documents %s, which the bot does not read (config.Redacted)", mainREADME, name)
		}
	}

	// What some secrets need beside them to be accepted at all.
	env := map[string]string{
		"EVIDENCE_S3_ENDPOINT":  "s3.example.org",
		"EVIDENCE_S3_BUCKET":    "anning-evidence",
		"REDIS_ADDRS":           "127.0.0.1:26379",
		"REDIS_SENTINEL_MASTER": "mymaster",
	}
	files := map[string]string{}
	for base := range v.secret {
		if !documented[base] {
			continue // only in the deploy table: "not yet"
		}
		path := "/run/secrets/" + strings.ToLower(base)
		env[base+"_FILE"] = path
		files[path] = "placeholder-secret-0123456789"
	}
	cfg := loadBotConfig(t, "every secret as a file", env, files)
	for _, kv := range cfg.Redacted() {
		name, val, _ := strings.Cut(kv, "=")
		if hidden := val == "(set, hidden)"; hidden != (v.secret[name] && documented[name]) {
			t.Errorf("%s: the table marks it a secret (_FILE): %v; the bot read it from NAME_FILE: %v", name, v.secret[name], hidden)
		}
	}
}

// loadBotConfig runs the bot's config.Load on env. Every NAME_FILE path is
// replaced by a temporary file holding files[path].
func loadBotConfig(t *testing.T, where string, env, files map[string]string) config.Config {
	t.Helper()
	dir := t.TempDir()
	getenv := map[string]string{}
	for name, val := range env {
		if strings.HasSuffix(name, "_FILE") {
			content, ok := files[val]
			if !ok {
				t.Errorf("%s: %s=%s: no such secret file", where, name, val)
			}
			tmp := filepath.Join(dir, strconv.Itoa(len(getenv)))
			if err := os.WriteFile(tmp, []byte(content+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			val = tmp
		}
		getenv[name] = val
	}
	cfg, err := config.Load(func(name string) string { return getenv[name] })
	if err != nil {
		t.Fatalf("%s: the bot would not start: %v", where, err)
	}
	return cfg
}

// ---- YAML ----

func yamlFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no YAML files under deploy/")
	}
	return files
}

// decodeAll decodes every document of a YAML stream; empty ones are skipped.
func decodeAll(t *testing.T, path string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, path)))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, len(docs)+1, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML document", path)
	}
	return docs
}

// decodeStrict decodes the one document of path into v; unknown fields fail.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	decodeStrictText(t, path, readFile(t, path), v)
}

// decodeStrictText is decodeStrict of text, named path in errors.
func decodeStrictText(t *testing.T, path, text string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("%s: want one document", path)
	}
}

func str(m map[string]any, keys ...string) string {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	s, _ := v.(string)
	return s
}

func TestYAMLParses(t *testing.T) {
	for _, f := range yamlFiles(t) {
		t.Run(f, func(t *testing.T) { decodeAll(t, f) })
	}
}

// ---- Kubernetes ----

var apiVersions = map[string]string{
	"Namespace":           "v1",
	"Secret":              "v1",
	"ConfigMap":           "v1",
	"Service":             "v1",
	"Deployment":          "apps/v1",
	"Ingress":             "networking.k8s.io/v1",
	"PodDisruptionBudget": "policy/v1",
}

func TestKubernetesManifests(t *testing.T) {
	files, _ := filepath.Glob("k8s/*.yaml")
	if len(files) == 0 {
		t.Fatal("no k8s/*.yaml")
	}
	kinds := map[string]bool{}
	for _, f := range files {
		for i, doc := range decodeAll(t, f) {
			where := f + " document " + strconv.Itoa(i+1)
			api, kind, name := str(doc, "apiVersion"), str(doc, "kind"), str(doc, "metadata", "name")
			if api == "" || kind == "" || name == "" {
				t.Errorf("%s: want apiVersion, kind and metadata.name, got %q %q %q", where, api, kind, name)
				continue
			}
			kinds[kind] = true
			if kind == "PersistentVolumeClaim" {
				t.Errorf("%s: a PersistentVolumeClaim: evidence is kept in S3 (EVIDENCE_S3_*), the pods need no volume", where)
				continue
			}
			if want, ok := apiVersions[kind]; !ok {
				t.Errorf("%s: kind %s: add it to apiVersions in this test", where, kind)
			} else if api != want {
				t.Errorf("%s: %s is %s, not %s", where, kind, want, api)
			}
			if ns := str(doc, "metadata", "namespace"); kind == "Namespace" && name != namespace || kind != "Namespace" && ns != namespace {
				t.Errorf("%s: %s %s: want namespace %s", where, kind, name, namespace)
			}
			if l := str(doc, "metadata", "labels", "app.kubernetes.io/name"); l != appLabel {
				t.Errorf("%s: label app.kubernetes.io/name is %q, want %q", where, l, appLabel)
			}
		}
	}
	for kind := range apiVersions {
		if !kinds[kind] {
			t.Errorf("no %s in k8s/", kind)
		}
	}
}

// The parts of a Deployment these manifests may use; decoding is strict, so
// a misspelt field fails.
type (
	objectMeta struct {
		Name        string            `yaml:"name"`
		Namespace   string            `yaml:"namespace"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}
	labelSelector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
		InitialDelaySeconds int `yaml:"initialDelaySeconds"`
		PeriodSeconds       int `yaml:"periodSeconds"`
		TimeoutSeconds      int `yaml:"timeoutSeconds"`
		FailureThreshold    int `yaml:"failureThreshold"`
	}
	container struct {
		Name            string `yaml:"name"`
		Image           string `yaml:"image"`
		ImagePullPolicy string `yaml:"imagePullPolicy"`
		Ports           []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		EnvFrom []struct {
			ConfigMapRef *struct {
				Name string `yaml:"name"`
			} `yaml:"configMapRef"`
			SecretRef *struct {
				Name string `yaml:"name"`
			} `yaml:"secretRef"`
		} `yaml:"envFrom"`
		Env []struct {
			Name  string `yaml:"name"`
			Value string `yaml:"value"`
		} `yaml:"env"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
	}
	volume struct {
		Name   string `yaml:"name"`
		Secret *struct {
			SecretName  string `yaml:"secretName"`
			DefaultMode int    `yaml:"defaultMode"`
		} `yaml:"secret"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
		EmptyDir *struct {
			Medium    string `yaml:"medium"`
			SizeLimit string `yaml:"sizeLimit"`
		} `yaml:"emptyDir"`
	}
	deploymentManifest struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   objectMeta `yaml:"metadata"`
		Spec       struct {
			Replicas int           `yaml:"replicas"`
			Selector labelSelector `yaml:"selector"`
			Strategy struct {
				Type          string `yaml:"type"`
				RollingUpdate struct {
					MaxUnavailable any `yaml:"maxUnavailable"`
					MaxSurge       any `yaml:"maxSurge"`
				} `yaml:"rollingUpdate"`
			} `yaml:"strategy"`
			Template struct {
				Metadata objectMeta `yaml:"metadata"`
				Spec     struct {
					AutomountServiceAccountToken  *bool `yaml:"automountServiceAccountToken"`
					TerminationGracePeriodSeconds int   `yaml:"terminationGracePeriodSeconds"`
					SecurityContext               struct {
						RunAsNonRoot   *bool `yaml:"runAsNonRoot"`
						RunAsUser      int   `yaml:"runAsUser"`
						RunAsGroup     int   `yaml:"runAsGroup"`
						FSGroup        int   `yaml:"fsGroup"`
						SeccompProfile struct {
							Type string `yaml:"type"`
						} `yaml:"seccompProfile"`
					} `yaml:"securityContext"`
					TopologySpreadConstraints []struct {
						MaxSkew           int           `yaml:"maxSkew"`
						TopologyKey       string        `yaml:"topologyKey"`
						WhenUnsatisfiable string        `yaml:"whenUnsatisfiable"`
						LabelSelector     labelSelector `yaml:"labelSelector"`
					} `yaml:"topologySpreadConstraints"`
					Containers []container `yaml:"containers"`
					Volumes    []volume    `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
)

// k8s is the manifests the cross-checks need.
type k8s struct {
	config     map[string]string // the ConfigMap's data
	secretKeys []string          // the example Secret's keys
	secret     map[string]string // and its values
	deployment deploymentManifest
	service    map[string]any
	pdb        map[string]any
}

func loadK8s(t *testing.T) k8s {
	t.Helper()
	var k k8s
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "k8s/configmap.yaml")), &cm); err != nil {
		t.Fatal(err)
	}
	k.config = cm.Data
	var sec struct {
		StringData map[string]string `yaml:"stringData"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "k8s/secret.example.yaml")), &sec); err != nil {
		t.Fatal(err)
	}
	k.secret = sec.StringData
	for key := range sec.StringData {
		k.secretKeys = append(k.secretKeys, key)
	}
	decodeStrict(t, "k8s/deployment.yaml", &k.deployment)
	k.service = decodeAll(t, "k8s/service.yaml")[0]
	k.pdb = decodeAll(t, "k8s/pdb.yaml")[0]
	return k
}

// allInterfaces reports whether addr listens on every interface (":8080",
// "0.0.0.0:8080"): the bot's default is loopback, which nothing outside a
// container or pod reaches.
func allInterfaces(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && (host == "" || host == "0.0.0.0" || host == "::")
}

func addrPort(t *testing.T, name, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(p)
	if err != nil || err2 != nil {
		t.Fatalf("%s=%q is not host:port", name, addr)
	}
	return n
}

// containerPort resolves a probe's or Service's port (a number or a name).
func containerPort(t *testing.T, c container, port any) int {
	t.Helper()
	switch p := port.(type) {
	case int:
		return p
	case string:
		for _, cp := range c.Ports {
			if cp.Name == p {
				return cp.ContainerPort
			}
		}
	}
	t.Fatalf("port %v is not a port of container %s", port, c.Name)
	return 0
}

func TestDeployment(t *testing.T) {
	k := loadK8s(t)
	d := k.deployment
	spec := d.Spec.Template.Spec
	if d.Spec.Replicas != 2 {
		t.Errorf("replicas: %d, want 2", d.Spec.Replicas)
	}
	for l, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Metadata.Labels[l] != v {
			t.Errorf("selector %s=%s does not match the pod's labels", l, v)
		}
	}
	if spec.TerminationGracePeriodSeconds != 30 {
		t.Errorf("terminationGracePeriodSeconds: %d, want 30", spec.TerminationGracePeriodSeconds)
	}
	if sc := spec.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == 0 || sc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("pod securityContext: want runAsNonRoot, a non-zero runAsUser and RuntimeDefault seccomp: %+v", sc)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	if sc := c.SecurityContext; sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("container securityContext: want readOnlyRootFilesystem, no privilege escalation, drop ALL: %+v", sc)
	}
	for _, kind := range []string{"cpu", "memory"} {
		if c.Resources.Requests[kind] == "" || c.Resources.Limits[kind] == "" {
			t.Errorf("resources: want requests and limits of %s", kind)
		}
	}

	volumes := map[string]volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	mounts := map[string]string{} // mount path -> volume
	for _, m := range c.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("volumeMount %s: no such volume", m.Name)
		}
		mounts[m.MountPath] = m.Name
	}
	// Evidence in S3: no volume for it, and /tmp room for uploads in flight.
	for _, vol := range spec.Volumes {
		if vol.PersistentVolumeClaim != nil {
			t.Errorf("volume %s: a PersistentVolumeClaim; evidence is in S3 (EVIDENCE_S3_*)", vol.Name)
		}
	}
	if k.config["EVIDENCE_S3_ENDPOINT"] == "" || k.config["EVIDENCE_S3_BUCKET"] == "" {
		t.Error("configmap.yaml: several replicas need EVIDENCE_S3_ENDPOINT and EVIDENCE_S3_BUCKET")
	}
	if d, ok := k.config["EVIDENCE_DIR"]; ok {
		t.Errorf("configmap.yaml: EVIDENCE_DIR=%s is not used with EVIDENCE_S3_ENDPOINT: remove it", d)
	}
	if tmp := volumes[mounts["/tmp"]]; tmp.EmptyDir == nil {
		t.Error("/tmp must be an emptyDir (the root file system is read-only)")
	} else {
		if tmp.EmptyDir.Medium != "" {
			t.Errorf("/tmp: medium %q counts spooled uploads against the memory limit; keep it on disk", tmp.EmptyDir.Medium)
		}
		// Uploads are spooled here, up to 20 MB each: room for a dozen at once.
		if n := quantity(t, tmp.EmptyDir.SizeLimit); n < 256<<20 {
			t.Errorf("/tmp: sizeLimit %q; want at least 256Mi for the uploads in flight", tmp.EmptyDir.SizeLimit)
		}
	}

	// Probes on HTTP_ADDR's port, the webhook on WEBHOOK_ADDR's.
	opsPort := addrPort(t, "HTTP_ADDR", k.config["HTTP_ADDR"])
	for _, p := range []struct {
		name, path string
		probe      *probe
	}{{"livenessProbe", "/healthz", c.LivenessProbe}, {"readinessProbe", "/readyz", c.ReadinessProbe}} {
		if p.probe == nil {
			t.Errorf("no %s", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s: path %q, want %q", p.name, p.probe.HTTPGet.Path, p.path)
		}
		if port := containerPort(t, c, p.probe.HTTPGet.Port); port != opsPort {
			t.Errorf("%s: port %d, but HTTP_ADDR is %s", p.name, port, k.config["HTTP_ADDR"])
		}
	}
	webhookPort := addrPort(t, "WEBHOOK_ADDR", k.config["WEBHOOK_ADDR"])
	if !allInterfaces(k.config["WEBHOOK_ADDR"]) {
		t.Errorf("configmap WEBHOOK_ADDR %q: the Service cannot reach loopback; want :PORT or 0.0.0.0:PORT", k.config["WEBHOOK_ADDR"])
	}
	if containerPort(t, c, "webhook") != webhookPort {
		t.Errorf("container port webhook is not WEBHOOK_ADDR's %d", webhookPort)
	}
	// Prometheus scrapes /metrics on HTTP_ADDR's port.
	ann := d.Spec.Template.Metadata.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || ann["prometheus.io/port"] != strconv.Itoa(opsPort) {
		t.Errorf("pod annotations %v: want prometheus.io/scrape \"true\", path /metrics, port %d (HTTP_ADDR)", ann, opsPort)
	}

	// Secrets: files from the Secret's volume, named by NAME_FILE.
	v := loadVars(t)
	set := map[string]bool{}
	for key := range k.config {
		set[key] = true
	}
	fileKeys := map[string]bool{}
	for _, e := range c.Env {
		set[e.Name] = true
		base, isFile := strings.CutSuffix(e.Name, "_FILE")
		if !isFile {
			continue
		}
		if !v.secret[base] {
			t.Errorf("env %s: %s has no _FILE variant in the configuration tables", e.Name, base)
		}
		vol := volumes[mounts[filepath.Dir(e.Value)]]
		if vol.Secret == nil || vol.Secret.SecretName != "anning-secrets" {
			t.Errorf("env %s=%s: not a file of the Secret anning-secrets' volume", e.Name, e.Value)
			continue
		}
		if !slices.Contains(k.secretKeys, filepath.Base(e.Value)) {
			t.Errorf("env %s=%s: secret.example.yaml has no key %s", e.Name, e.Value, filepath.Base(e.Value))
		}
		if vol.Secret.DefaultMode&0o040 == 0 {
			t.Errorf("secret volume mode %#o: the bot (group %d) cannot read it", vol.Secret.DefaultMode, spec.SecurityContext.FSGroup)
		}
		fileKeys[filepath.Base(e.Value)] = true
	}
	for _, key := range k.secretKeys {
		if !fileKeys[key] {
			t.Errorf("secret.example.yaml: key %s is not read as a file", key)
		}
		if !v.secret[key] {
			t.Errorf("secret.example.yaml: %s is not a secret of the configuration tables", key)
		}
	}
	configMaps := 0
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			configMaps++
		case ef.SecretRef != nil:
			for _, key := range k.secretKeys {
				set[key] = true
			}
		}
	}
	if configMaps != 1 {
		t.Errorf("want envFrom the ConfigMap once, got %d", configMaps)
	}
	for name := range set {
		if base, ok := strings.CutSuffix(name, "_FILE"); ok && set[base] {
			t.Errorf("both %s and %s are set: the bot refuses to start", base, name)
		}
	}
	// The S3 keys and the log key of the replicas come from the Secret too.
	for _, name := range []string{"EVIDENCE_S3_ACCESS_KEY", "EVIDENCE_S3_SECRET_KEY", "LOG_ID_KEY"} {
		if !set[name+"_FILE"] {
			t.Errorf("env: no %s_FILE (a key of the Secret)", name)
		}
	}

	// The pod's whole environment, with the example Secret's values as its
	// files, is one the bot starts with: webhook mode, Sentinel, S3 over TLS,
	// one LOG_ID_KEY for every replica.
	env := maps.Clone(k.config)
	files := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		files[e.Value] = k.secret[filepath.Base(e.Value)]
	}
	cfg := loadBotConfig(t, "k8s", env, files)
	if cfg.WebhookURL == "" || !cfg.UsesRedis() || cfg.LogIDKey == "" {
		t.Errorf("k8s: want webhook mode, Redis and LOG_ID_KEY: %v", cfg.Redacted())
	}
	if _, secure, err := cfg.EvidenceS3.HostPort(); err != nil || !secure {
		t.Errorf("k8s: EVIDENCE_S3_ENDPOINT=%q: want a TLS endpoint (%v)", cfg.EvidenceS3.Endpoint, err)
	}
}

// quantity reads a Kubernetes size such as 512Mi or 1Gi, in bytes.
func quantity(t *testing.T, q string) int64 {
	t.Helper()
	for suffix, unit := range map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "k": 1e3, "M": 1e6, "G": 1e9} {
		if num, ok := strings.CutSuffix(q, suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil {
				t.Fatalf("size %q: %v", q, err)
			}
			return n * unit
		}
	}
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil {
		t.Fatalf("size %q: want a number with Ki, Mi, Gi, k, M or G", q)
	}
	return n
}

func TestKubernetesEnvNamesKnown(t *testing.T) {
	v := loadVars(t)
	k := loadK8s(t)
	for key := range k.config {
		v.checkName(t, "k8s/configmap.yaml", key)
	}
	// The commented-out settings (EVIDENCE_S3_REGION, REDIS_URL) too.
	for _, m := range regexp.MustCompile(`(?m)^\s*#\s*([A-Z][A-Z0-9_]*):`).FindAllStringSubmatch(readFile(t, "k8s/configmap.yaml"), -1) {
		v.checkName(t, "k8s/configmap.yaml (comment)", m[1])
	}
	for _, e := range k.deployment.Spec.Template.Spec.Containers[0].Env {
		v.checkName(t, "k8s/deployment.yaml", e.Name)
	}
	for _, key := range k.secretKeys {
		v.checkName(t, "k8s/secret.example.yaml", key)
	}
}

// A reader deploys from the README files alone: k8s/README.md describes
// every manifest, and each README's kubectl commands apply every manifest
// there is (the Secret is created from files or from a copy of the example).
func TestKubernetesREADMEs(t *testing.T) {
	manifests, _ := filepath.Glob("k8s/*.yaml")
	described := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z.-]+\\.yaml)` \\|").FindAllStringSubmatch(readFile(t, "k8s/README.md"), -1) {
		described[m[1]] = true
		if !slices.Contains(manifests, "k8s/"+m[1]) {
			t.Errorf("k8s/README.md describes %s, which is not in k8s/", m[1])
		}
	}
	for _, f := range manifests {
		if !described[filepath.Base(f)] {
			t.Errorf("k8s/README.md does not describe %s", f)
		}
	}
	applyRe := regexp.MustCompile(`-f (\S+\.yaml)`)
	for readme, dir := range map[string]string{"README.md": ".", "k8s/README.md": "k8s"} {
		applied := map[string]bool{}
		for _, line := range strings.Split(readFile(t, readme), "\n") {
			if !strings.HasPrefix(line, "kubectl apply ") {
				continue
			}
			for _, m := range applyRe.FindAllStringSubmatch(line, -1) {
				f := filepath.Join(dir, m[1])
				applied[f] = true
				if !slices.Contains(manifests, f) {
					t.Errorf("%s: kubectl apply -f %s: no such manifest", readme, m[1])
				}
			}
		}
		for _, f := range manifests {
			if !applied[f] && filepath.Base(f) != "secret.example.yaml" {
				t.Errorf("%s: %s is never applied", readme, f)
			}
		}
	}
	// Each kubectl create secret command creates every key of the example
	// (the Deployment reads every key as a file: a missing one stops the bot).
	keys := loadK8s(t).secretKeys
	for _, f := range []string{"README.md", "k8s/README.md", "k8s/secret.example.yaml"} {
		var lines []string
		for _, l := range strings.Split(readFile(t, f), "\n") {
			lines = append(lines, strings.TrimLeft(l, "# "))
		}
		text := strings.ReplaceAll(strings.Join(lines, "\n"), "\\\n", " ")
		create := regexp.MustCompile(`kubectl -n anning create secret generic anning-secrets[^\n]*`).FindString(text)
		if create == "" {
			t.Errorf("%s: no kubectl -n anning create secret generic anning-secrets command", f)
		}
		for _, key := range keys {
			if !strings.Contains(create, "--from-file="+key+"=") {
				t.Errorf("%s: kubectl create secret lacks --from-file=%s=...", f, key)
			}
		}
	}
}

func TestServiceIngressPDB(t *testing.T) {
	k := loadK8s(t)
	c := k.deployment.Spec.Template.Spec.Containers[0]
	podLabels := k.deployment.Spec.Template.Metadata.Labels
	matches := func(sel map[string]any) bool {
		if len(sel) == 0 {
			return false
		}
		for l, v := range sel {
			if podLabels[l] != v {
				return false
			}
		}
		return true
	}
	svcSpec, _ := k.service["spec"].(map[string]any)
	sel, _ := svcSpec["selector"].(map[string]any)
	if !matches(sel) {
		t.Errorf("service.yaml: selector %v does not select the Deployment's pods", sel)
	}
	pdbSpec, _ := k.pdb["spec"].(map[string]any)
	pdbSel, _ := pdbSpec["selector"].(map[string]any)
	pdbLabels, _ := pdbSel["matchLabels"].(map[string]any)
	if !matches(pdbLabels) || pdbSpec["minAvailable"] != 1 {
		t.Errorf("pdb.yaml: want minAvailable 1 over the Deployment's pods: %v", pdbSpec)
	}

	// Ingress: WEBHOOK_URL's host and path, exactly, to the Service's webhook port.
	u, err := url.Parse(k.config["WEBHOOK_URL"])
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Path == "" {
		t.Fatalf("configmap WEBHOOK_URL %q: want https://HOST/PATH", k.config["WEBHOOK_URL"])
	}
	var ing struct {
		Spec struct {
			TLS []struct {
				Hosts      []string `yaml:"hosts"`
				SecretName string   `yaml:"secretName"`
			} `yaml:"tls"`
			Rules []struct {
				Host string `yaml:"host"`
				HTTP struct {
					Paths []struct {
						Path     string `yaml:"path"`
						PathType string `yaml:"pathType"`
						Backend  struct {
							Service struct {
								Name string `yaml:"name"`
								Port struct {
									Name   string `yaml:"name"`
									Number int    `yaml:"number"`
								} `yaml:"port"`
							} `yaml:"service"`
						} `yaml:"backend"`
					} `yaml:"paths"`
				} `yaml:"http"`
			} `yaml:"rules"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "k8s/ingress.yaml")), &ing); err != nil {
		t.Fatal(err)
	}
	if len(ing.Spec.TLS) == 0 || !slices.Contains(ing.Spec.TLS[0].Hosts, u.Host) || ing.Spec.TLS[0].SecretName == "" {
		t.Errorf("ingress.yaml: want TLS for %s", u.Host)
	}
	routed := false
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			if r.Host != u.Host || p.Path != u.Path {
				continue
			}
			routed = true
			if p.PathType != "Exact" && p.PathType != "Prefix" {
				t.Errorf("ingress.yaml: pathType %q", p.PathType)
			}
			b := p.Backend.Service
			if b.Name != str(k.service, "metadata", "name") {
				t.Errorf("ingress.yaml: backend %s is not the Service", b.Name)
			}
			var target any
			ports, _ := svcSpec["ports"].([]any)
			for _, sp := range ports {
				sp, _ := sp.(map[string]any)
				if sp["name"] == b.Port.Name && b.Port.Name != "" || sp["port"] == b.Port.Number && b.Port.Number != 0 {
					target = sp["targetPort"]
				}
			}
			if target == nil {
				t.Errorf("ingress.yaml: the Service has no port %v", b.Port)
			} else if got, want := containerPort(t, c, target), addrPort(t, "WEBHOOK_ADDR", k.config["WEBHOOK_ADDR"]); got != want {
				t.Errorf("ingress.yaml: reaches container port %d, the webhook listens on %d", got, want)
			}
		}
	}
	if !routed {
		t.Errorf("ingress.yaml: no rule for host %s path %s (WEBHOOK_URL)", u.Host, u.Path)
	}
}

// ---- compose and the environment file ----

type envLine struct {
	n            int
	name, value  string
	active       bool // not commented out
	raw          string
	inlineRemark bool
}

var envLineRe = regexp.MustCompile(`^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$`)

func envExample(t *testing.T) []envLine {
	t.Helper()
	var out []envLine
	for i, line := range strings.Split(readFile(t, "anning.env.example"), "\n") {
		m := envLineRe.FindStringSubmatch(line)
		if m == nil {
			if line != "" && !strings.HasPrefix(line, "#") {
				t.Errorf("anning.env.example:%d: not NAME=value nor a comment: %q", i+1, line)
			}
			continue
		}
		out = append(out, envLine{n: i + 1, name: m[2], value: m[3], active: m[1] == "", raw: line,
			inlineRemark: strings.Contains(m[3], " #")})
	}
	return out
}

func TestEnvExample(t *testing.T) {
	v := loadVars(t)
	lines := envExample(t)
	named := map[string]bool{}
	active := map[string]bool{}
	for _, l := range lines {
		where := "anning.env.example:" + strconv.Itoa(l.n)
		v.checkName(t, where, l.name)
		named[l.name] = true
		if v.secret[l.name] {
			t.Errorf("%s: secret %s must be given as %s_FILE", where, l.name, l.name)
		}
		if l.active {
			active[l.name] = true
			// systemd's EnvironmentFile and compose's env_file read quotes and
			// trailing remarks differently: allow neither.
			if l.inlineRemark || strings.HasPrefix(l.value, `"`) || strings.HasPrefix(l.value, "'") {
				t.Errorf("%s: plain values only (no quotes, no remark after the value): %q", where, l.raw)
			}
		}
	}
	for _, s := range v.main {
		for _, n := range s.names {
			base, isFile := strings.CutSuffix(n, "_FILE")
			switch {
			case isFile && !named[n]:
				t.Errorf("anning.env.example lacks %s (how to give %s)", n, base)
			case !isFile && !v.secret[n] && !named[n]:
				t.Errorf("anning.env.example lacks %s", n)
			}
		}
	}
	for name := range active {
		if base, ok := strings.CutSuffix(name, "_FILE"); ok && active[base] {
			t.Errorf("anning.env.example sets both %s and %s", base, name)
		}
	}
}

type composeService struct {
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Image       string            `yaml:"image"`
	EnvFile     string            `yaml:"env_file"`
	Environment map[string]string `yaml:"environment"`
	Secrets     []string          `yaml:"secrets"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Volumes     []string `yaml:"volumes"`
	Ports       []string `yaml:"ports"`
	Command     []string `yaml:"command"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	ReadOnly        bool     `yaml:"read_only"`
	Tmpfs           []string `yaml:"tmpfs"`
	CapDrop         []string `yaml:"cap_drop"`
	SecurityOpt     []string `yaml:"security_opt"`
	Restart         string   `yaml:"restart"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
}

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

func TestCompose(t *testing.T) {
	var c composeFile
	decodeStrict(t, "compose.yaml", &c)
	bot, redis := c.Services["bot"], c.Services["redis"]
	if bot.Build == nil {
		t.Fatal("compose.yaml: the bot service has no build")
	}
	if _, err := os.Stat(filepath.Join(bot.Build.Context, bot.Build.Dockerfile)); err != nil || filepath.Clean(bot.Build.Context) != ".." {
		t.Errorf("compose.yaml: build %+v: want the repository root and deploy/Dockerfile", *bot.Build)
	}
	if bot.EnvFile != "anning.env" {
		t.Errorf("compose.yaml: env_file %q, want anning.env", bot.EnvFile)
	}
	if bot.DependsOn["redis"].Condition != "service_healthy" {
		t.Error("compose.yaml: the bot must wait for a healthy redis")
	}
	if !slices.Contains(bot.Volumes, "evidence:/data") || !slices.Contains(redis.Volumes, "redis-data:/data") {
		t.Errorf("compose.yaml: want volumes evidence:/data and redis-data:/data: %v %v", bot.Volumes, redis.Volumes)
	}
	for _, vol := range []string{"evidence", "redis-data"} {
		if _, ok := c.Volumes[vol]; !ok {
			t.Errorf("compose.yaml: volume %s is not declared", vol)
		}
	}
	if !strings.HasPrefix(redis.Image, "redis:7") {
		t.Errorf("compose.yaml: redis image %q", redis.Image)
	}
	if cmd := strings.Join(redis.Command, " "); !strings.Contains(cmd, "--appendonly yes") || !strings.Contains(cmd, "--appendfsync everysec") {
		t.Errorf("compose.yaml: redis without AOF: %q", cmd)
	}
	if redis.Healthcheck == nil || !strings.Contains(strings.Join(redis.Healthcheck.Test, " "), "redis-cli ping") {
		t.Error("compose.yaml: redis needs a redis-cli ping health check")
	}
	u, err := url.Parse(bot.Environment["REDIS_URL"])
	if err != nil || u.Scheme != "redis" {
		t.Fatalf("compose.yaml: REDIS_URL %q", bot.Environment["REDIS_URL"])
	}
	if _, ok := c.Services[u.Hostname()]; !ok {
		t.Errorf("compose.yaml: REDIS_URL names %s, not a service", u.Hostname())
	}
	if !strings.Contains(strings.Join(bot.Ports, " "), ":8080:8080") {
		t.Errorf("compose.yaml: the webhook port is not published: %v", bot.Ports)
	}
	if p := bot.Environment["HTTP_ADDR"]; p != "" && !strings.Contains(strings.Join(bot.Ports, " "), ":"+strconv.Itoa(addrPort(t, "HTTP_ADDR", p))) {
		t.Errorf("compose.yaml: HTTP_ADDR %s is not published: %v", p, bot.Ports)
	}

	v := loadVars(t)
	for name := range bot.Environment {
		v.checkName(t, "compose.yaml", name)
	}
	// The commented-out settings too.
	for _, m := range regexp.MustCompile(`(?m)^\s*#\s*([A-Z][A-Z0-9_]*):`).FindAllStringSubmatch(readFile(t, "compose.yaml"), -1) {
		v.checkName(t, "compose.yaml (comment)", m[1])
	}
	if !bot.ReadOnly || !slices.ContainsFunc(bot.Tmpfs, func(s string) bool { return s == "/tmp" || strings.HasPrefix(s, "/tmp:") }) {
		t.Errorf("compose.yaml: want a read-only root file system and a tmpfs on /tmp (S3 uploads are spooled there): %v", bot.Tmpfs)
	}
	for name, s := range c.Secrets {
		if !strings.HasPrefix(s.File, "./secrets/") {
			t.Errorf("compose.yaml: secret %s: keep its file in ./secrets/ (git-ignored)", name)
		}
	}
	if !strings.Contains(readFile(t, ".gitignore"), "/secrets/") || !strings.Contains(readFile(t, ".gitignore"), "/anning.env") {
		t.Error(".gitignore: want /secrets/ and /anning.env")
	}
	// As shipped, evidence is in the volume.
	cfg := composeConfig(t, "compose.yaml", c, envExample(t))
	if cfg.EvidenceS3.Endpoint != "" || !strings.HasPrefix(cfg.EvidenceDir, "/data/") {
		t.Errorf("compose.yaml: evidence in %q / S3 %q; want the evidence volume by default", cfg.EvidenceDir, cfg.EvidenceS3.Endpoint)
	}
	// The published port reaches the container's interface, not its loopback.
	if !allInterfaces(cfg.WebhookAddr) || !strings.Contains(strings.Join(bot.Ports, " "), ":"+strconv.Itoa(addrPort(t, "WEBHOOK_ADDR", cfg.WebhookAddr))) {
		t.Errorf("compose.yaml: WEBHOOK_ADDR %q: want every interface (:8080), on the published port %v", cfg.WebhookAddr, bot.Ports)
	}
}

// composeConfig checks that the secret files anning.env.example names are
// ones compose mounts, and returns the configuration the bot starts with
// under compose: anning.env (the example's active lines), overridden by
// compose's environment.
func composeConfig(t *testing.T, where string, c composeFile, lines []envLine) config.Config {
	t.Helper()
	bot := c.Services["bot"]
	env := map[string]string{}
	for _, l := range lines {
		if !l.active {
			continue
		}
		env[l.name] = l.value
		if !strings.HasSuffix(l.name, "_FILE") {
			continue
		}
		dir, file := filepath.Split(l.value)
		if dir != "/run/secrets/" || !slices.Contains(bot.Secrets, file) || c.Secrets[file].File == "" {
			t.Errorf("%s: anning.env.example:%d: %s=%s is not a secret compose mounts", where, l.n, l.name, l.value)
		}
	}
	maps.Copy(env, bot.Environment)
	files := map[string]string{}
	for _, name := range bot.Secrets {
		files["/run/secrets/"+name] = "placeholder-secret-0123456789"
	}
	return loadBotConfig(t, where, env, files)
}

// The way to S3 that compose.yaml's comment describes works: with its s3_*
// (and log_id_key) secret lines uncommented and the example's EVIDENCE_S3_*
// and LOG_ID_KEY_FILE lines set, the files are mounted where anning.env
// says and the bot starts with evidence in S3.
func TestComposeS3(t *testing.T) {
	uncomment := regexp.MustCompile(`(?m)^(\s*)# ( *(?:- [a-z0-9_]+|[a-z0-9_]+:|file: \./secrets/[a-z0-9_]+))$`)
	text := uncomment.ReplaceAllString(readFile(t, "compose.yaml"), "$1$2")
	var c composeFile
	decodeStrictText(t, "compose.yaml (secrets uncommented)", text, &c)
	lines := envExample(t)
	for i, l := range lines {
		if strings.HasPrefix(l.name, "EVIDENCE_S3_") || l.name == "LOG_ID_KEY_FILE" {
			lines[i].active = true
		}
	}
	cfg := composeConfig(t, "compose.yaml with S3", c, lines)
	s3 := cfg.EvidenceS3
	if s3.Endpoint == "" || s3.Bucket == "" || s3.AccessKey == "" || s3.SecretKey == "" || cfg.LogIDKey == "" {
		t.Errorf("compose.yaml with S3: want the endpoint, bucket, keys and LOG_ID_KEY set: %v", cfg.Redacted())
	}
}

// ---- systemd ----

func unitFile(t *testing.T) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	section := ""
	for i, line := range strings.Split(readFile(t, "anning.service"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, val, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("anning.service:%d: %q", i+1, line)
			}
			keys[section+"."+k] = append(keys[section+"."+k], val)
		}
	}
	return keys
}

func TestSystemdUnit(t *testing.T) {
	u := unitFile(t)
	for key, want := range map[string]string{
		"Service.User":            "anning",
		"Service.EnvironmentFile": "/etc/anning/anning.env",
		"Service.ExecStart":       "/usr/local/bin/anning",
		"Service.Restart":         "on-failure",
		"Service.KillSignal":      "SIGTERM",
		"Service.TimeoutStopSec":  "30",
		"Service.StateDirectory":  "anning",
		"Service.ReadWritePaths":  "/var/lib/anning",
		"Service.NoNewPrivileges": "yes",
		"Service.ProtectSystem":   "strict",
		"Service.ProtectHome":     "yes",
		"Service.PrivateTmp":      "yes",
		"Install.WantedBy":        "multi-user.target",
	} {
		if !slices.Contains(u[key], want) {
			t.Errorf("anning.service: want %s=%s, got %q", key, want, u[key])
		}
	}
	v := loadVars(t)
	env := map[string]string{}
	for _, e := range u["Service.Environment"] {
		name, val, _ := strings.Cut(e, "=")
		v.checkName(t, "anning.service", name)
		env[name] = val
	}
	if d := env["EVIDENCE_DIR"]; !strings.HasPrefix(d, "/var/lib/anning/") {
		t.Errorf("anning.service: EVIDENCE_DIR=%q is not in the state directory", d)
	}
	// The *_FILE paths of anning.env.example must exist for the unit too.
	if !slices.ContainsFunc(u["Service.BindReadOnlyPaths"], func(s string) bool { return strings.HasSuffix(s, ":/run/secrets") }) {
		t.Error("anning.service: nothing is mapped to /run/secrets, where anning.env.example's secret files are")
	}

	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no systemd-analyze: CI must verify the unit (.ci/run installs systemd)")
		}
		t.Skip("no systemd-analyze here: unit not verified")
	}
	// verify wants ExecStart to exist: check a copy that runs /bin/true.
	unit := filepath.Join(t.TempDir(), "anning.service")
	text := strings.Replace(readFile(t, "anning.service"), "ExecStart=/usr/local/bin/anning", "ExecStart=/bin/true", 1)
	if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify anning.service: %v\n%s", err, out)
	}
}

// ---- Dockerfile ----

type instruction struct {
	line      int
	cmd, args string
}

type stage struct {
	from, name string
	steps      []instruction
}

var runFlagsRe = regexp.MustCompile(`^(--\S+\s+)+`)

// parseDockerfile splits a Dockerfile into stages of instructions, with
// continuation lines joined, comments dropped, and RUN's --flags removed.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	var stages []stage
	var cur strings.Builder
	start := 0
	flush := func() {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return
		}
		cmd, args, _ := strings.Cut(text, " ")
		cmd, args = strings.ToUpper(cmd), strings.TrimSpace(args)
		if cmd == "RUN" {
			args = runFlagsRe.ReplaceAllString(args, "")
		}
		if cmd == "FROM" {
			f := strings.Fields(args)
			s := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			return
		}
		if len(stages) == 0 {
			t.Fatalf("%s:%d: %s before FROM", path, start, cmd)
		}
		stages[len(stages)-1].steps = append(stages[len(stages)-1].steps, instruction{start, cmd, args})
	}
	for i, line := range strings.Split(readFile(t, path), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	if len(stages) < 2 {
		t.Fatalf("%s: want a build stage and a runtime stage", path)
	}
	return stages
}

// envOf reads a stage's ENV instructions (KEY=VALUE forms).
func envOf(s stage) map[string]string {
	env := map[string]string{}
	for _, in := range s.steps {
		if in.cmd != "ENV" {
			continue
		}
		for _, kv := range strings.Fields(in.args) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
	}
	return env
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, "Dockerfile")
	build, runtime := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.from, "golang:1.26") || !strings.HasPrefix(runtime.from, "debian:bookworm") {
		t.Errorf("stages: %s, %s; want golang:1.26 and debian:bookworm-slim", build.from, runtime.from)
	}
	if envOf(build)["CGO_ENABLED"] != "0" {
		t.Error("build stage: want CGO_ENABLED=0")
	}
	var user, entry string
	var exposed []string
	for _, in := range runtime.steps {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entry = in.args
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case "COPY":
			if !strings.Contains(in.args, "--from="+build.name) {
				t.Errorf("Dockerfile:%d: the runtime stage copies only from the build stage: %s", in.line, in.args)
			}
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("Dockerfile: USER %q: want a numeric non-root uid (Kubernetes' runAsNonRoot checks it)", user)
	}
	if entry != `["/usr/local/bin/anning"]` {
		t.Errorf("Dockerfile: ENTRYPOINT %s", entry)
	}
	for _, p := range []string{"8080", "9090"} {
		if !slices.Contains(exposed, p) {
			t.Errorf("Dockerfile: want EXPOSE %s", p)
		}
	}
	env := envOf(runtime)
	v := loadVars(t)
	for name := range env {
		v.checkName(t, "Dockerfile ENV", name)
	}
	if env["EVIDENCE_DIR"] != "/data/evidence" || env["OMP_THREAD_LIMIT"] != "1" || !allInterfaces(env["WEBHOOK_ADDR"]) {
		t.Errorf("Dockerfile: runtime ENV %v", env)
	}
	if pkgs := aptPackages(t, runtime); !slices.Contains(pkgs, "tesseract-ocr-chi-sim") || !slices.Contains(pkgs, "tesseract-ocr") || !slices.Contains(pkgs, "ca-certificates") {
		t.Errorf("Dockerfile: installs %v; want tesseract-ocr, tesseract-ocr-chi-sim and ca-certificates", pkgs)
	}

	// The build context: only what go build needs, never data/ or secrets.
	var patterns []string
	for _, l := range strings.Split(readFile(t, "Dockerfile.dockerignore"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	if len(patterns) == 0 || patterns[0] != "*" {
		t.Fatalf("Dockerfile.dockerignore: want an allow list starting with *: %v", patterns)
	}
	for _, p := range patterns[1:] {
		if !strings.HasPrefix(p, "!") || strings.HasPrefix(p, "!data") || strings.HasPrefix(p, "!deploy") {
			t.Errorf("Dockerfile.dockerignore: %q", p)
		}
	}
}

var (
	aptPkgRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	shellMetas = []string{";", "|", "`", "$(", ">", "<"}
)

// aptPackages checks that every RUN of the runtime stage is plain apt-get
// (plus creating the bot's user) and returns the packages it installs.
func aptPackages(t *testing.T, s stage) []string {
	t.Helper()
	var pkgs []string
	for _, in := range s.steps {
		if in.cmd != "RUN" {
			continue
		}
		for _, m := range shellMetas {
			if strings.Contains(in.args, m) {
				t.Errorf("Dockerfile:%d: RUN has %q; want plain commands joined by &&", in.line, m)
			}
		}
		installed, cleaned := false, false
		for _, c := range strings.Split(in.args, "&&") {
			f := strings.Fields(c)
			switch {
			case len(f) == 2 && f[0] == "apt-get" && f[1] == "update":
			case len(f) > 2 && f[0] == "apt-get" && f[1] == "install":
				var flags []string
				for _, a := range f[2:] {
					if strings.HasPrefix(a, "-") {
						flags = append(flags, a)
					} else if aptPkgRe.MatchString(a) {
						pkgs = append(pkgs, a)
					} else {
						t.Errorf("Dockerfile:%d: %q is not a package name", in.line, a)
					}
				}
				if !slices.Equal(flags, []string{"-y", "--no-install-recommends"}) {
					t.Errorf("Dockerfile:%d: apt-get install %v: want exactly -y --no-install-recommends", in.line, flags)
				}
				installed = true
			case strings.Join(f, " ") == "rm -rf /var/lib/apt/lists/*":
				cleaned = installed
			case len(f) > 0 && (f[0] == "groupadd" || f[0] == "useradd") && slices.Contains(f, "--system"):
			case len(f) > 1 && f[0] == "install" && f[1] == "-d":
			default:
				t.Errorf("Dockerfile:%d: %q is not apt-get update / apt-get install / rm -rf /var/lib/apt/lists/* / user setup", in.line, strings.TrimSpace(c))
			}
		}
		if installed && !cleaned {
			t.Errorf("Dockerfile:%d: apt-get install without rm -rf /var/lib/apt/lists/* after it", in.line)
		}
	}
	return pkgs
}

// On a machine of the runtime image's Debian release (CI's is bookworm), the
// packages must resolve: apt-get -s simulates the install without root.
func TestDockerfileAptResolves(t *testing.T) {
	stages := parseDockerfile(t, "Dockerfile")
	runtime := stages[len(stages)-1]
	pkgs := aptPackages(t, runtime)
	_, tag, _ := strings.Cut(runtime.from, ":")
	release, _, _ := strings.Cut(tag, "-")
	osRelease, _ := os.ReadFile("/etc/os-release")
	if !regexp.MustCompile(`(?m)^VERSION_CODENAME=` + regexp.QuoteMeta(release) + `$`).Match(osRelease) {
		t.Skipf("this machine is not Debian %s: packages not resolved", release)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("no apt-get")
	}
	if exec.Command("apt-cache", "show", "ca-certificates").Run() != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no apt package lists: CI must resolve the image's packages (.ci/run runs apt-get update)")
		}
		t.Skip("no apt package lists here (apt-get update): packages not resolved")
	}
	out, err := exec.Command("apt-get", append([]string{"-s", "install", "--no-install-recommends"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Errorf("apt-get -s install %v: %v\n%s", pkgs, err, out)
	}
}

// The build stage run as a script: the context as Dockerfile.dockerignore
// lets it through, the ENV, then each RUN with /out in a temporary folder.
func TestDockerfileBuildStage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bot")
	}
	stages := parseDockerfile(t, "Dockerfile")
	build := stages[0]
	ctx, out := t.TempDir(), t.TempDir()
	for _, l := range strings.Split(readFile(t, "Dockerfile.dockerignore"), "\n") {
		keep, ok := strings.CutPrefix(strings.TrimSpace(l), "!")
		if !ok {
			continue
		}
		src, dst := filepath.Join("..", keep), filepath.Join(ctx, keep)
		fi, err := os.Stat(src)
		if err != nil {
			t.Fatalf("Dockerfile.dockerignore keeps %s: %v", keep, err)
		}
		if fi.IsDir() {
			err = os.CopyFS(dst, os.DirFS(src))
		} else {
			err = os.WriteFile(dst, []byte(readFile(t, src)), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	env := os.Environ()
	for k, v := range envOf(build) {
		env = append(env, k+"="+v)
	}
	ran := 0
	for _, in := range build.steps {
		switch in.cmd {
		case "COPY":
			for _, src := range strings.Fields(in.args)[:len(strings.Fields(in.args))-1] {
				if _, err := os.Stat(filepath.Join(ctx, src)); err != nil {
					t.Fatalf("Dockerfile:%d: COPY %s: not in the build context", in.line, src)
				}
			}
		case "RUN":
			cmd := exec.Command("sh", "-c", strings.ReplaceAll(in.args, "/out/", out+"/"))
			cmd.Dir, cmd.Env = ctx, env
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("Dockerfile:%d: RUN %s: %v\n%s", in.line, in.args, err, b)
			}
			ran++
		}
	}
	bin := filepath.Join(out, "anning")
	info, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("after %d RUN steps, no binary: %v\n%s", ran, err, info)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("binary built without %s:\n%s", want, info)
		}
	}
	// -trimpath keeps -ldflags out of the build info: look for what -s -w drop.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sec := range []string{".symtab", ".debug_info", ".zdebug_info"} {
		if f.Section(sec) != nil {
			t.Errorf("binary has %s: built without -ldflags='-s -w'", sec)
		}
	}
	// The binary runs on its own: it checks its built-in flows.
	lint := exec.Command(bin, "lint")
	lint.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	if b, err := lint.CombinedOutput(); err != nil {
		t.Errorf("anning lint: %v\n%s", err, b)
	}
}
