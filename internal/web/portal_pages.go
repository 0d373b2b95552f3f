package web

// portalRoutes registers the residents' portal. (The portal work fills this in.)
func (s *Server) portalRoutes() {}
