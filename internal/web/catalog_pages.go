package web

// catalogRoutes registers the executable lists (catalog work).
func (s *Server) catalogRoutes() {}
