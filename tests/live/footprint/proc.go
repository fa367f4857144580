package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memory is what /proc says about one process, MiB.
type memory struct {
	hwm  float64 // VmHWM: the kernel's own peak of the resident set
	anon float64 // RssAnon: heap, stacks, runtime; what no reclaim can free
	file float64 // RssFile: pages of files mapped into memory, mostly the binary's own code and read-only data
}

func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memory{}, err
	}
	var m memory
	found := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "VmHWM:":
			m.hwm, found = kb/1024, found+1
		case "RssAnon:":
			m.anon, found = kb/1024, found+1
		case "RssFile:":
			m.file, found = kb/1024, found+1
		}
	}
	if found != 3 {
		return m, fmt.Errorf("pid %d: VmHWM, RssAnon or RssFile missing from /proc status", pid)
	}
	return m, nil
}

// cpuSeconds is utime+stime of a process, from /proc.
func cpuSeconds(pid int) (float64, error) {
	const clockTicks = 100 // USER_HZ on Linux
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
	s := string(b)
	rest := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseFloat(rest[11], 64)
	stime, _ := strconv.ParseFloat(rest[12], 64)
	return (utime + stime) / clockTicks, nil
}

// loadAverage is the 1-minute load average of the machine.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// usage is what the sampler keeps of one process.
type usage struct {
	peak       memory  // VmHWM at the end; RssAnon and RssFile: the largest sample
	cpuPerMin  float64 // CPU seconds per minute after the warm-up
	cpu0, cpu1 float64
}

// sampler reads the memory of a set of processes every interval, and their
// CPU time once the warm-up is over and once at the end.
type sampler struct {
	pids    map[string]int
	mu      sync.Mutex
	use     map[string]*usage
	loads   []float64
	t0, t1  time.Time
	warmed  bool
	started time.Time
}

func newSampler(pids map[string]int) *sampler {
	s := &sampler{pids: pids, use: map[string]*usage{}, started: time.Now()}
	for name := range pids {
		s.use[name] = &usage{}
	}
	return s
}

// sample reads every process once; after warmup it records the CPU start.
func (s *sampler) sample(warmup time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, pid := range s.pids {
		m, err := readMemory(pid)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		u := s.use[name]
		u.peak.hwm = m.hwm
		u.peak.anon = max(u.peak.anon, m.anon)
		u.peak.file = max(u.peak.file, m.file)
	}
	s.loads = append(s.loads, loadAverage())
	if !s.warmed && time.Since(s.started) >= warmup {
		for name, pid := range s.pids {
			c, err := cpuSeconds(pid)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			s.use[name].cpu0 = c
		}
		s.t0, s.warmed = time.Now(), true
	}
	return nil
}

// finish reads the CPU times at the end and computes CPU seconds per minute.
func (s *sampler) finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.warmed {
		return fmt.Errorf("run ended before the warm-up did")
	}
	s.t1 = time.Now()
	for name, pid := range s.pids {
		c, err := cpuSeconds(pid)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		u := s.use[name]
		u.cpu1 = c
		u.cpuPerMin = (u.cpu1 - u.cpu0) / s.t1.Sub(s.t0).Minutes()
	}
	return nil
}

// loadRange is the smallest, mean and largest 1-minute load average seen.
func (s *sampler) loadRange() (lo, mean, hi float64) {
	if len(s.loads) == 0 {
		return 0, 0, 0
	}
	lo, hi = s.loads[0], s.loads[0]
	for _, l := range s.loads {
		lo, hi, mean = min(lo, l), max(hi, l), mean+l
	}
	return lo, mean / float64(len(s.loads)), hi
}
