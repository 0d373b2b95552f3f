package api

// caseEndpoints registers the case endpoints (casework work).
func (s *Server) caseEndpoints() {}
