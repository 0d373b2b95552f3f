package web

// caseRoutes registers case intake, inboxes and case pages (casework work).
func (s *Server) caseRoutes() {}
