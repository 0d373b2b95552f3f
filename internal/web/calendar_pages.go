package web

// calendarRoutes registers the working calendar's administration (worktime work).
func (s *Server) calendarRoutes() {}
