package web

// statsRoutes registers the figures pages: the three rates and daily feedback. (The case UI work fills this in.)
func (s *Server) statsRoutes() {}
