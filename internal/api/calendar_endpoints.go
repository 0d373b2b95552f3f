package api

// calendarEndpoints registers the working calendar's endpoints (worktime work).
func (s *Server) calendarEndpoints() {}
