// echo.go - the Go peer of bench_net's echo servers: a goroutine per
// connection, each reading at most 16 KiB at a time and writing back what
// it read, the way Go programs are written. Go's runtime does what the
// workbook's steps 05 and 06 do: a read that would block parks the
// goroutine, and the scheduler waits in epoll when nothing can run.
//
// It serves the listening socket it inherits as descriptor 3 (bench_net
// makes it, on 127.0.0.1, and kills this program after the run), or, run
// by hand, the address given as its argument:
//
//	go run tests/bench/echo.go 127.0.0.1:7000
//
// bench_net runs it twice: with GOMAXPROCS=1 (one thread runs Go code, as
// one runs tasklets) and with Go's default (the number of CPUs). Go sets
// TCP_NODELAY on every connection by default; the C servers do likewise.
//
// It imports only the standard library, so it builds offline without a
// module: tests/bench/run.sh runs `go build` on this one file with
// GO111MODULE=off and a GOCACHE under build/.
package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 16384)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return // the end of the stream, or a reset
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

func main() {
	var ln net.Listener
	var err error
	if len(os.Args) > 1 {
		ln, err = net.Listen("tcp", os.Args[1])
	} else {
		ln, err = net.FileListener(os.NewFile(3, "listener"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo.go:", err)
		os.Exit(1)
	}
	said := false
	for {
		c, err := ln.Accept()
		if err != nil {
			// Out of file descriptors, say: tell once, let others finish.
			if !said {
				fmt.Fprintln(os.Stderr, "echo.go: accept failed:", err,
					"(said once; the server goes on)")
				said = true
			}
			time.Sleep(time.Millisecond)
			continue
		}
		go echo(c)
	}
}
