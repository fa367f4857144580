// Package live runs the rendered monitoring configuration on the real
// upstream binaries (see live_test.go). This file holds the shapes of the
// Prometheus and Alertmanager HTTP API answers the test reads.
package live

import "time"

// targetsResponse is /api/v1/targets.
type targetsResponse struct {
	Data struct {
		ActiveTargets []struct {
			ScrapePool string            `json:"scrapePool"`
			ScrapeURL  string            `json:"scrapeUrl"`
			Labels     map[string]string `json:"labels"`
			Health     string            `json:"health"`
			LastError  string            `json:"lastError"`
		} `json:"activeTargets"`
	} `json:"data"`
}

// rulesResponse is /api/v1/rules.
type rulesResponse struct {
	Data struct {
		Groups []struct {
			Name  string `json:"name"`
			File  string `json:"file"`
			Rules []struct {
				Name           string            `json:"name"`
				Query          string            `json:"query"`
				Type           string            `json:"type"`
				Health         string            `json:"health"`
				LastError      string            `json:"lastError"`
				LastEvaluation time.Time         `json:"lastEvaluation"`
				Labels         map[string]string `json:"labels"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"data"`
}

// alertsResponse is Prometheus' /api/v1/alerts.
type alertsResponse struct {
	Data struct {
		Alerts []struct {
			Labels   map[string]string `json:"labels"`
			State    string            `json:"state"`
			ActiveAt time.Time         `json:"activeAt"`
		} `json:"alerts"`
	} `json:"data"`
}

// labelValuesResponse is /api/v1/label/<name>/values.
type labelValuesResponse struct {
	Data []string `json:"data"`
}

// amAlert is one entry of Alertmanager's /api/v2/alerts.
type amAlert struct {
	Labels    map[string]string `json:"labels"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}
