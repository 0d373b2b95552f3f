package web

// orgRoutes registers the organisation browser.
func (s *Server) orgRoutes() {}
