package api

// catalogEndpoints registers the executable lists' endpoints (catalog work).
func (s *Server) catalogEndpoints() {}
