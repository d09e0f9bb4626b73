package understand

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
)

// Example is one labelled message to learn from.
type Example struct {
	Class string
	Text  string
}

// Score is one class's probability for a message.
type Score struct {
	Class string
	P     float64
}

// Model is a multinomial logistic regression over character n-grams of the
// normalised text. It is read-only once trained and safe for concurrent use.
type Model struct {
	norm    *Normalizer
	classes []string
	vocab   map[uint64]int32 // n-gram hash -> feature index
	w       []float32        // len(vocab) x len(classes), feature-major: one row per feature
	bias    []float32
}

// Training settings, chosen by cross-validation on the shipped intents'
// examples (bot lint prints the figures); they are not tuned on the
// held-out test set.
const (
	epochs       = 40
	learningRate = 0.5
	l2           = 1e-5
)

// Classes lists the classes the model knows, sorted.
func (m *Model) Classes() []string { return m.classes }

// Normalize applies the model's normalisation.
func (m *Model) Normalize(s string) string { return m.norm.Normalize(s) }

var (
	cacheMu sync.Mutex
	cache   = map[[32]byte]*Model{}
)

// Train fits a model to the examples. Training is deterministic; models are
// kept by the hash of their inputs, so loading the same intents again (every
// test builds the flows) costs nothing after the first time.
func Train(examples []Example, variants map[string]string) *Model {
	key := hashInputs(examples, variants)
	cacheMu.Lock()
	m, ok := cache[key]
	cacheMu.Unlock()
	if ok {
		return m
	}
	m = train(examples, NewNormalizer(variants))
	cacheMu.Lock()
	cache[key] = m
	cacheMu.Unlock()
	return m
}

func hashInputs(examples []Example, variants map[string]string) [32]byte {
	h := sha256.New()
	put := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, e := range examples {
		put(e.Class)
		put(e.Text)
	}
	keys := make([]string, 0, len(variants))
	for k := range variants {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	put("variants")
	for _, k := range keys {
		put(k)
		put(variants[k])
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// sparse is a feature vector: indices with their values, L2-normalised.
type sparse struct {
	idx []int32
	val []float32
}

func train(examples []Example, norm *Normalizer) *Model {
	m := &Model{norm: norm, vocab: map[uint64]int32{}}
	classIndex := map[string]int{}
	for _, e := range examples {
		if _, ok := classIndex[e.Class]; !ok {
			classIndex[e.Class] = 0
			m.classes = append(m.classes, e.Class)
		}
	}
	sort.Strings(m.classes)
	for i, c := range m.classes {
		classIndex[c] = i
	}
	xs := make([]sparse, len(examples))
	ys := make([]int, len(examples))
	for i, e := range examples {
		feats := features(norm.Normalize(e.Text))
		for _, f := range feats {
			if _, ok := m.vocab[f]; !ok {
				m.vocab[f] = int32(len(m.vocab))
			}
		}
		xs[i] = m.vectorize(feats)
		ys[i] = classIndex[e.Class]
	}
	nc := len(m.classes)
	m.w = make([]float32, len(m.vocab)*nc)
	m.bias = make([]float32, nc)
	if nc == 0 {
		return m
	}
	// AdaGrad SGD over a fixed shuffled order: deterministic, and quick to
	// converge on a few thousand short examples.
	gw := make([]float32, len(m.w))
	gb := make([]float32, nc)
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(1, 2))
	z := make([]float64, nc)
	for epoch := 0; epoch < epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			x := xs[i]
			m.logits(x, z)
			softmax(z)
			for c := 0; c < nc; c++ {
				g := z[c]
				if c == ys[i] {
					g--
				}
				if g > -1e-4 && g < 1e-4 {
					continue
				}
				gb[c] += float32(g * g)
				m.bias[c] -= float32(learningRate * g / math.Sqrt(float64(gb[c])+1e-8))
				for k, f := range x.idx {
					j := int(f)*nc + c
					gr := float32(g)*x.val[k] + l2*m.w[j]
					gw[j] += gr * gr
					m.w[j] -= float32(learningRate) * gr / float32(math.Sqrt(float64(gw[j])+1e-8))
				}
			}
		}
	}
	return m
}

func (m *Model) vectorize(feats []uint64) sparse {
	var v sparse
	v.idx = make([]int32, 0, len(feats))
	for _, f := range feats {
		if j, ok := m.vocab[f]; ok {
			v.idx = append(v.idx, j)
		}
	}
	// Each feature counts once, however often it occurs.
	slices.Sort(v.idx)
	v.idx = slices.Compact(v.idx)
	if n := len(v.idx); n > 0 {
		v.val = make([]float32, n)
		x := float32(1 / math.Sqrt(float64(n)))
		for i := range v.val {
			v.val[i] = x
		}
	}
	return v
}

func (m *Model) logits(x sparse, z []float64) {
	nc := len(m.classes)
	for c := 0; c < nc; c++ {
		z[c] = float64(m.bias[c])
	}
	for k, f := range x.idx {
		row := m.w[int(f)*nc : int(f)*nc+nc]
		v := float64(x.val[k])
		for c, w := range row {
			z[c] += float64(w) * v
		}
	}
}

func softmax(z []float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, v)
	}
	sum := 0.0
	for i, v := range z {
		z[i] = math.Exp(v - mx)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// Classify returns every class with its probability, likeliest first, and
// the share of the message's n-grams the model has seen (0 for a message it
// has no clue about).
func (m *Model) Classify(text string) ([]Score, float64) {
	norm := m.norm.Normalize(text)
	feats := features(norm)
	x := m.vectorize(feats)
	known := 0.0
	if len(feats) > 0 {
		u := slices.Clone(feats)
		slices.Sort(u)
		known = float64(len(x.idx)) / float64(len(slices.Compact(u)))
	}
	z := make([]float64, len(m.classes))
	m.logits(x, z)
	softmax(z)
	out := make([]Score, len(z))
	for i, p := range z {
		out[i] = Score{Class: m.classes[i], P: p}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].P > out[j].P })
	return out, known
}

// features lists the hashes of the character unigrams, bigrams and
// trigrams of a normalised text, with its first and last two characters
// marked (a question often shows in how it ends: ...吗, ...怎么办). Hashes
// (64-bit FNV-1a) instead of strings: no allocation per n-gram.
func features(s string) []uint64 {
	r := []rune(s)
	n := len(r)
	if n == 0 {
		return nil
	}
	out := make([]uint64, 0, 3*n+2)
	for i := 0; i < n; i++ {
		h := uint64(fnvOffset)
		for k := 1; k <= maxGram && i+k <= n; k++ {
			h = mix(h, r[i+k-1])
			if k >= minGram {
				out = append(out, h)
			}
		}
	}
	start := mix(uint64(fnvOffset), '^')
	for _, c := range r[:min(2, n)] {
		start = mix(start, c)
	}
	end := uint64(fnvOffset)
	for _, c := range r[max(0, n-2):] {
		end = mix(end, c)
	}
	return append(out, start, mix(end, '$'))
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix adds one rune (its four bytes) to an FNV-1a hash.
func mix(h uint64, r rune) uint64 {
	for i := 0; i < 4; i++ {
		h ^= uint64(byte(r >> (8 * i)))
		h *= fnvPrime
	}
	return h
}

// The n-gram lengths read: single characters matter with few examples
// (还, 死, 告), and trigrams catch short words (征信, 砍头息) with context.
const minGram, maxGram = 1, 3
