package web

// authRoutes registers login, logout and user administration.
func (s *Server) authRoutes() {}
