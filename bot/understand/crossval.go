package understand

import "sort"

// ClassReport is how well one class's examples are recognised when each is
// held out of training.
type ClassReport struct {
	Class    string
	Examples int
	Correct  int
	Confused map[string]int // the classes its held-out examples went to instead
}

// Accuracy is the share of the class's held-out examples classified right.
func (r ClassReport) Accuracy() float64 {
	if r.Examples == 0 {
		return 0
	}
	return float64(r.Correct) / float64(r.Examples)
}

// CrossValidate trains k models, each without one k-th of every class's
// examples, and classifies the held-out examples: an estimate of how the
// intents generalise, for authors. The result is sorted by class.
func CrossValidate(examples []Example, variants map[string]string, k int) []ClassReport {
	reports := map[string]*ClassReport{}
	for _, e := range examples {
		if reports[e.Class] == nil {
			reports[e.Class] = &ClassReport{Class: e.Class, Confused: map[string]int{}}
		}
	}
	heldOut(examples, variants, max(k, 2), func(e Example, scores []Score) {
		r := reports[e.Class]
		r.Examples++
		switch {
		case len(scores) == 0:
		case scores[0].Class == e.Class:
			r.Correct++
		default:
			r.Confused[scores[0].Class]++
		}
	})
	out := make([]ClassReport, 0, len(reports))
	for _, r := range reports {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out
}

// HeldOutScores returns, for every example, the probability of class given
// by a model trained without that example's fold (k folds): how the model
// scores messages it has not seen, to set thresholds without a test set.
func HeldOutScores(examples []Example, variants map[string]string, k int, class string) []float64 {
	out := make([]float64, len(examples))
	heldOutIndexed(examples, variants, max(k, 2), func(i int, scores []Score) {
		for _, s := range scores {
			if s.Class == class {
				out[i] = s.P
			}
		}
	})
	return out
}

// heldOut classifies every example with a model trained without its fold.
func heldOut(examples []Example, variants map[string]string, k int, fn func(e Example, scores []Score)) {
	heldOutIndexed(examples, variants, k, func(i int, scores []Score) { fn(examples[i], scores) })
}

func heldOutIndexed(examples []Example, variants map[string]string, k int, fn func(i int, scores []Score)) {
	fold := folds(examples, k)
	norm := NewNormalizer(variants)
	for f := 0; f < k; f++ {
		var trainSet []Example
		for i, e := range examples {
			if fold[i] != f {
				trainSet = append(trainSet, e)
			}
		}
		m := train(trainSet, norm)
		for i, e := range examples {
			if fold[i] == f {
				scores, _ := m.Classify(e.Text)
				fn(i, scores)
			}
		}
	}
}

// folds deals each class's examples over k folds in turn, so every fold
// holds out a share of every class.
func folds(examples []Example, k int) []int {
	fold := make([]int, len(examples))
	seen := map[string]int{}
	for i, e := range examples {
		fold[i] = seen[e.Class] % k
		seen[e.Class]++
	}
	return fold
}
