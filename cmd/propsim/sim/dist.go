package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// maxDraw bounds one rsync duration, so that a wild σ cannot overflow.
const maxDraw = 7 * 24 * time.Hour

// Dist is a distribution of durations.
type Dist interface {
	Sample(r *rand.Rand) time.Duration
	String() string
}

// LogNormal is the duration whose natural log in seconds is normal with
// mean Mu and standard deviation Sigma.
type LogNormal struct{ Mu, Sigma float64 }

// LogNormalMedian is the log-normal with the given median and σ.
func LogNormalMedian(median time.Duration, sigma float64) LogNormal {
	return LogNormal{Mu: math.Log(median.Seconds()), Sigma: sigma}
}

// Sample draws one duration, at most maxDraw.
func (l LogNormal) Sample(r *rand.Rand) time.Duration {
	s := math.Exp(l.Mu + l.Sigma*r.NormFloat64())
	if !(s < maxDraw.Seconds()) {
		return maxDraw
	}
	return time.Duration(s * float64(time.Second))
}

// Median is e^μ.
func (l LogNormal) Median() time.Duration {
	return time.Duration(math.Exp(l.Mu) * float64(time.Second))
}

// Quantile is the duration below which a share q of draws falls.
func (l LogNormal) Quantile(q float64) time.Duration {
	z := math.Sqrt2 * math.Erfinv(2*q-1)
	return time.Duration(math.Exp(l.Mu+l.Sigma*z) * float64(time.Second))
}

func (l LogNormal) String() string {
	return fmt.Sprintf("log-normal, median %s, σ %.2f (p95 %s)", l.Median().Round(time.Second),
		l.Sigma, l.Quantile(0.95).Round(time.Second))
}

// Constant is always D.
type Constant struct{ D time.Duration }

// Sample returns D.
func (c Constant) Sample(*rand.Rand) time.Duration { return c.D }

func (c Constant) String() string { return "constant " + c.D.String() }

// FitLogNormal fits a log-normal to measured durations in seconds: μ and
// σ are the mean and the (sample) standard deviation of their logs.
func FitLogNormal(seconds []float64) (LogNormal, error) {
	if len(seconds) < 2 {
		return LogNormal{}, errors.New("need at least two durations to fit")
	}
	var sum float64
	logs := make([]float64, len(seconds))
	for i, s := range seconds {
		if !finite(s) || s <= 0 {
			return LogNormal{}, fmt.Errorf("duration %d is %v: want a positive number of seconds", i, s)
		}
		logs[i] = math.Log(s)
		sum += logs[i]
	}
	mu := sum / float64(len(logs))
	var ss float64
	for _, l := range logs {
		ss += (l - mu) * (l - mu)
	}
	return LogNormal{Mu: mu, Sigma: math.Sqrt(ss / float64(len(logs)-1))}, nil
}
