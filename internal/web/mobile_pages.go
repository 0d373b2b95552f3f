package web

// mobileRoutes registers the grid worker's phone pages. (The portal work fills this in.)
func (s *Server) mobileRoutes() {}
