// chanpingpong.go - the peer of bench_sched's channel ping-pong: two
// goroutines and two unbuffered channels; one sends on ping and receives
// on pong, the other receives on ping and sends on pong. It prints ns per
// round trip, the best of 5 runs of about 0.3 s, as `name,value,unit`
// lines:
//
//	go_chan_roundtrip_gomaxprocs1        both goroutines on one OS thread,
//	                                     as tasklets are
//	go_chan_roundtrip_gomaxprocs_default GOMAXPROCS as Go sets it by
//	                                     default (the CPU count), which
//	                                     go_gomaxprocs_default reports
//
// It imports only the standard library, so it builds offline without a
// module: tests/bench/run.sh runs `go build` on this one file with
// GO111MODULE=off and a GOCACHE under build/.
package main

import (
	"fmt"
	"runtime"
	"time"
)

const (
	runs      = 5
	runTime   = 300 * time.Millisecond
	calibrate = 20 * time.Millisecond
)

// roundTrips does n round trips and returns how long they took.
func roundTrips(n int) time.Duration {
	ping := make(chan int)
	pong := make(chan int)
	done := make(chan bool)
	go func() {
		for i := 0; i < n; i++ {
			v := <-ping
			pong <- v
		}
		done <- true
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	elapsed := time.Since(start)
	<-done
	return elapsed
}

// best returns the best ns per round trip of `runs` runs.
func best() float64 {
	n := 16
	for {
		t := roundTrips(n)
		if t >= calibrate {
			n = int(float64(n)*float64(runTime)/float64(t)) + 1
			break
		}
		n *= 2
	}
	bestNs := 0.0
	for r := 0; r < runs; r++ {
		ns := float64(roundTrips(n).Nanoseconds()) / float64(n)
		if r == 0 || ns < bestNs {
			bestNs = ns
		}
	}
	return bestNs
}

func main() {
	procs := runtime.GOMAXPROCS(0) // the default: run.sh unsets GOMAXPROCS

	runtime.GOMAXPROCS(1)
	fmt.Printf("go_chan_roundtrip_gomaxprocs1,%.2f,ns\n", best())

	runtime.GOMAXPROCS(procs)
	fmt.Printf("go_chan_roundtrip_gomaxprocs_default,%.2f,ns\n", best())
	fmt.Printf("go_gomaxprocs_default,%d,procs\n", procs)
}
